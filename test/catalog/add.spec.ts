import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { bytesOf, catalogFor, collect, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'
import type { Host } from '../../src/net/host.js'

describe('catalog: add, list, show, remove on one node', function () {
  this.timeout(60_000)
  let hosts: Host[]
  let node: CatalogNode
  let other: CatalogNode
  let work: string

  before(async () => {
    hosts = await startHosts(2)
    node = await catalogFor(hosts[0])
    other = await catalogFor(hosts[1])
  })

  after(async () => {
    await stopCatalogNodes([node, other].filter(n => n != null))
    await stopHosts(hosts ?? [])
  })

  beforeEach(async () => { work = await tempDir('paip-catalog-src-') })
  afterEach(async () => { await fs.rm(work, { recursive: true, force: true }) })

  async function storedBlobs (): Promise<number> {
    let n = 0
    for await (const _ of node.blobs.list()) n++
    return n
  }

  it('adds a directory tree with a manifest of paths, sizes and CIDs', async () => {
    await writeTree(work, { 'train.csv': 'a,b\n1,2\n', 'images/0.png': bytesOf(3 * 1024 * 1024), 'images/1.png': 'png' })
    const entry = await node.catalog.add('dataset', { path: work }, { name: 'digits', tags: ['#MNIST', '#digits'], license: 'CC-BY-4.0', format: 'png', public: true })
    assert.equal(entry.kind, 'dataset')
    assert.deepEqual(entry.tags, ['#mnist', '#digits'])
    assert.equal(entry.files, 3)
    assert.equal(entry.size, 8 + 3 * 1024 * 1024 + 3)
    const resolved = await node.catalog.resolve('dataset', 'digits')
    assert.deepEqual(resolved.manifest.files.map(f => f.path), ['images/0.png', 'images/1.png', 'train.csv'])
    assert.ok(resolved.manifest.files[0].blocks != null, 'a file over one block has a block list')
    assert.equal((await collect(node.blobs.get(resolved.files[2].cid))).toString(), 'a,b\n1,2\n')
    assert.equal((await node.catalog.get('dataset', entry.manifest)).name, 'digits')
    assert.deepEqual((await node.catalog.list('dataset', { tag: '#MNIST' })).map(e => e.name), ['digits'])
    await node.catalog.remove('dataset', 'digits')
  })

  it('adds a single file and a model with its evaluation metadata', async () => {
    const file = path.join(work, 'model.onnx')
    await fs.writeFile(file, 'weights')
    const model = await node.catalog.add('model', { path: file }, { name: 'resnet', tags: ['#vision'], framework: 'onnx', task: 'image-classification', inputFormat: 'png' })
    assert.equal(model.kind, 'model')
    assert.equal((model as any).framework, 'onnx')
    assert.equal(model.public, false)
    assert.deepEqual((await node.catalog.list('model')).map(m => m.name), ['resnet'])
    assert.deepEqual(await node.catalog.list('dataset'), [])
    await node.catalog.remove('model', 'resnet')
  })

  it('refuses a path that does not exist', async () => {
    await assert.rejects(node.catalog.add('dataset', { path: path.join(work, 'missing') }, { name: 'x', tags: [] }), { name: 'PathNotFoundError' })
  })

  it('refuses a special file, alone or in a tree, and stores nothing', async () => {
    const fifo = path.join(work, 'pipe')
    execFileSync('mkfifo', [fifo])
    await assert.rejects(node.catalog.add('dataset', { path: fifo }, { name: 'x', tags: [] }), { name: 'SpecialFileError' })
    await fs.writeFile(path.join(work, 'ok.csv'), 'ok')
    const before = await storedBlobs()
    await assert.rejects(node.catalog.add('dataset', { path: work }, { name: 'x', tags: [] }), { name: 'SpecialFileError' })
    assert.equal(await storedBlobs(), before)
  })

  it('refuses a symlink pointing outside the dataset, but follows one inside', async () => {
    const outside = await tempDir('paip-outside-')
    try {
      await fs.writeFile(path.join(outside, 'secret'), 'secret')
      await writeTree(work, { 'data/a.csv': 'a' })
      await fs.symlink(path.join(work, 'data/a.csv'), path.join(work, 'data/alias.csv'))
      const inside = await node.catalog.add('dataset', { path: path.join(work, 'data') }, { name: 'inside', tags: [] })
      assert.equal(inside.files, 2)
      await node.catalog.remove('dataset', 'inside')
      await fs.symlink(path.join(outside, 'secret'), path.join(work, 'data/leak'))
      await assert.rejects(node.catalog.add('dataset', { path: path.join(work, 'data') }, { name: 'leaky', tags: [] }), { name: 'SymlinkOutsideError' })
      await assert.rejects(node.catalog.get('dataset', 'leaky'), { name: 'EntryNotFoundError' })
    } finally {
      await fs.rm(outside, { recursive: true, force: true })
    }
  })

  it('refuses bad metadata before reading any file', async () => {
    await fs.writeFile(path.join(work, 'a'), 'a')
    await assert.rejects(node.catalog.add('dataset', { path: work }, { name: 'x', tags: ['MNIST'] }), { name: 'InvalidTagError' })
    await assert.rejects(node.catalog.add('dataset', { path: work }, { tags: ['#mnist'] }), { name: 'InvalidMetadataError' })
    await assert.rejects(node.catalog.add('model', { path: work }, { name: 'm', tags: [] }), { name: 'InvalidMetadataError' })
  })

  it('leaves nothing half-registered when an upload is interrupted', async () => {
    const before = await storedBlobs()
    async function * upload (): AsyncIterable<Uint8Array> {
      yield bytesOf(2 * 1024 * 1024)
      throw new Error('connection reset')
    }
    await assert.rejects(node.catalog.add('dataset', { stream: upload(), filename: 'big.bin' }, { name: 'cut', tags: ['#cut'] }), /connection reset/)
    await assert.rejects(node.catalog.get('dataset', 'cut'), { name: 'EntryNotFoundError' })
    assert.equal(await storedBlobs(), before)
    assert.deepEqual(await fs.readdir(path.join(node.blobs.dir, 'tmp')), [])
  })

  it('refuses a second entry with the same name', async () => {
    await fs.writeFile(path.join(work, 'a'), 'a')
    await node.catalog.add('dataset', { path: work }, { name: 'twice', tags: [] })
    await assert.rejects(node.catalog.add('dataset', { path: work }, { name: 'twice', tags: [] }), { name: 'EntryExistsError' })
    await node.catalog.remove('dataset', 'twice')
  })

  it('removes an entry: deletes blobs no other entry uses, keeps shared ones, tells listeners', async () => {
    await writeTree(work, { 'shared.csv': 'shared', 'own.csv': 'own' })
    const one = await node.catalog.add('dataset', { path: work }, { name: 'one', tags: ['#a'] })
    await fs.rm(path.join(work, 'own.csv'))
    await node.catalog.add('dataset', { path: work }, { name: 'two', tags: ['#a'] })
    const { files } = await node.catalog.resolve('dataset', 'one')
    const removed: string[] = []
    const unsubscribe = node.catalog.onRemove(entry => { removed.push(entry.name) })
    await node.catalog.remove('dataset', one.manifest)
    unsubscribe()
    assert.deepEqual(removed, ['one'])
    const own = files.find(f => f.path === 'own.csv')!
    const shared = files.find(f => f.path === 'shared.csv')!
    assert.equal(await node.blobs.has(own.cid), false)
    assert.equal(await node.blobs.has(one.manifest), false)
    assert.equal(await node.blobs.has(shared.cid), true)
    await assert.rejects(node.catalog.remove('dataset', 'one'), { name: 'EntryNotFoundError' })
    await node.catalog.remove('dataset', 'two')
    assert.equal(await node.blobs.has(shared.cid), false)
  })
})
