import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { FETCH_PROTOCOL } from '../../src/catalog/index.js'
import { handleRequests } from '../../src/net/rpc.js'
import { bytesOf, collect, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'

/**
 * Six nodes on the memory transport with datasets spread across them:
 *   0: digits   #mnist #digits        public
 *   1: mnist-b  #mnist                public
 *   2: boston   #boston-housing       private
 *   3: mixed    #mnist #boston-housing public
 *   4: (nothing)
 *   5: cifar    #cifar                public
 */
describe('catalog: a grid of six nodes', function () {
  this.timeout(60_000)
  let nodes: CatalogNode[] = []
  let work: string
  const ids = (): string[] => nodes.map(n => n.host.peerId.toString())

  before(async () => {
    nodes = await startCatalogNodes(6)
    work = await tempDir('paip-grid-src-')
    const add = async (i: number, name: string, tags: string[], pub: boolean, files: Record<string, string | Uint8Array>): Promise<void> => {
      const dir = await writeTree(path.join(work, name), files)
      await nodes[i].catalog.add('dataset', { path: dir }, { name, tags, public: pub })
    }
    await add(0, 'digits', ['#MNIST', '#digits'], true, { 'train.csv': 'digits' })
    await add(1, 'mnist-b', ['#mnist'], true, { 'train.csv': 'mnist b', 'images/x.bin': bytesOf(2 * 1024 * 1024 + 17) })
    await add(2, 'boston', ['#boston-housing'], false, { 'houses.csv': 'price\n1\n' })
    await add(3, 'mixed', ['#mnist', '#boston-housing'], true, { 'mixed.csv': 'mixed' })
    await add(5, 'cifar', ['#cifar'], true, { 'cifar.bin': 'cifar' })
  })

  after(async () => {
    await stopCatalogNodes(nodes)
    if (work != null) await fs.rm(work, { recursive: true, force: true })
  })

  it('answers a tag search from every node with exactly the nodes holding the tag', async () => {
    const expected = [ids()[0], ids()[1], ids()[3]].sort()
    for (const node of nodes) {
      const results = await node.catalog.search('dataset', ['#MNIST'])
      assert.deepEqual(results.map(r => r.node.peerId).sort(), expected, `search from ${node.host.peerId.toString()}`)
      for (const r of results) {
        assert.ok(r.entry.tags.includes('#mnist'))
        assert.ok(r.node.addresses.length > 0, 'each node comes with addresses')
        const holder = nodes.find(n => n.host.peerId.toString() === r.node.peerId)
        const listening = holder?.host.getMultiaddrs().map(String) ?? []
        assert.ok(r.node.addresses.every(a => listening.includes(a) && a.endsWith(`/p2p/${r.node.peerId}`)), `addresses the holder listens on: ${r.node.addresses.join(' ')}`)
      }
    }
  })

  it('ranks nodes with all the tags first, then any', async () => {
    const results = await nodes[4].catalog.search('dataset', ['#mnist', '#boston-housing'])
    assert.equal(results[0].node.peerId, ids()[3])
    assert.equal(results[0].all, true)
    assert.deepEqual(results.slice(1).map(r => r.all), [false, false, false])
    assert.deepEqual(results.map(r => r.node.peerId).sort(), [ids()[0], ids()[1], ids()[2], ids()[3]].sort())
  })

  it('finds private datasets too (to send jobs there), by name as well as by tag', async () => {
    const results = await nodes[5].catalog.search('dataset', ['boston'])
    assert.deepEqual(results.map(r => [r.node.peerId, r.entry.public]), [[ids()[2], false]])
  })

  it('answers an unknown tag with no nodes, and refuses an empty search or one with 1,000 tags', async () => {
    assert.deepEqual(await nodes[0].catalog.search('dataset', ['#no-such-tag']), [])
    await assert.rejects(nodes[0].catalog.search('dataset', []), { name: 'InvalidQueryError' })
    await assert.rejects(nodes[0].catalog.search('dataset', Array.from({ length: 1000 }, (_, i) => `#t${i}`)), { name: 'InvalidQueryError' })
    await assert.rejects(nodes[0].catalog.search('dataset', ['MNIST!']), { name: 'InvalidQueryError' })
  })

  it('refuses to fetch a private dataset, and its node refuses to serve its bytes', async () => {
    await assert.rejects(nodes[4].catalog.fetch('dataset', 'boston'), { name: 'EntryPrivateError' })
    const { fetchEntryBlobs } = await import('../../src/catalog/fetch.js')
    const manifest = (await nodes[2].catalog.get('dataset', 'boston')).manifest
    await assert.rejects(fetchEntryBlobs(nodes[4].host, nodes[4].blobs, manifest, [ids()[2]], (() => {}) as any), (err: any) => /private/.test(err.message))
    assert.equal(await nodes[4].blobs.has(manifest), false)
  })

  it('fetches a public dataset from B to E, verified, and then finds it on both', async () => {
    const progress: number[] = []
    const entry = await nodes[4].catalog.fetch('dataset', 'mnist-b', { onProgress: p => progress.push(p.bytes) })
    assert.equal(entry.name, 'mnist-b')
    assert.equal(entry.fetchedFrom, ids()[1])
    assert.equal(progress.at(-1), entry.size)
    const original = await nodes[1].catalog.resolve('dataset', 'mnist-b')
    const copy = await nodes[4].catalog.resolve('dataset', 'mnist-b')
    assert.equal(copy.entry.manifest, original.entry.manifest)
    for (const file of copy.files) {
      assert.deepEqual(await collect(nodes[4].blobs.get(file.cid)), await collect(nodes[1].blobs.get(file.cid)))
    }
    const results = await nodes[0].catalog.search('dataset', ['mnist-b'])
    assert.deepEqual(results.map(r => r.node.peerId).sort(), [ids()[1], ids()[4]].sort())
  })

  it('runs two fetches of the same dataset at once as one', async () => {
    const [a, b] = await Promise.all([nodes[3].catalog.fetch('dataset', 'digits'), nodes[3].catalog.fetch('dataset', 'digits')])
    assert.equal(a.manifest, b.manifest)
    assert.deepEqual((await nodes[3].catalog.list('dataset')).map(e => e.name).sort(), ['digits', 'mixed'])
  })

  it('refuses bytes that do not match the CID from a lying peer, and registers nothing', async () => {
    const liar = nodes[5]
    const real = await liar.catalog.resolve('dataset', 'cifar')
    await liar.host.unhandle(FETCH_PROTOCOL)
    await handleRequests(liar.host, FETCH_PROTOCOL, v => v as { cid: string, offset: number }, async (req, ctx) => {
      if (req.cid === real.entry.manifest) {
        const bytes = await collect(liar.blobs.get(req.cid))
        await ctx.messages.write({ size: bytes.byteLength, offset: 0 }, { signal: ctx.signal })
        await ctx.messages.writeBytes(bytes, { signal: ctx.signal })
        return undefined
      }
      await ctx.messages.write({ size: 5, offset: 0 }, { signal: ctx.signal })
      await ctx.messages.writeBytes(new TextEncoder().encode('fake!'), { signal: ctx.signal })
      return undefined
    })
    try {
      await assert.rejects(nodes[0].catalog.fetch('dataset', 'cifar'), { name: 'BlobCorruptError' })
      await assert.rejects(nodes[0].catalog.get('dataset', 'cifar'), { name: 'EntryNotFoundError' })
      assert.equal(await nodes[0].blobs.has(real.files[0].cid), false)
    } finally {
      await liar.host.unhandle(FETCH_PROTOCOL)
      await liar.catalog.stop()
      await liar.catalog.start()
    }
  })

  it('resumes a fetch from another holder when the sender is stopped midway', async () => {
    const big = bytesOf(12 * 1024 * 1024, 7)
    const dir = await writeTree(path.join(work, 'big'), { 'big.bin': big })
    await nodes[2].catalog.add('dataset', { path: dir }, { name: 'big', tags: ['#big'], public: true })
    await nodes[3].catalog.add('dataset', { path: dir }, { name: 'big', tags: ['#big'], public: true })
    const perPeer = new Map<string, number>()
    let last = 0
    let stopped: string | undefined
    const entry = await nodes[5].catalog.fetch('dataset', 'big', {
      onProgress: p => {
        if (p.phase !== 'file' || p.peer == null) return
        perPeer.set(p.peer, (perPeer.get(p.peer) ?? 0) + (p.bytes - last))
        last = p.bytes
        if (stopped == null && p.bytes > big.byteLength / 3) {
          stopped = p.peer
          const sender = nodes.find(n => n.host.peerId.toString() === p.peer)!
          void sender.host.stop()
        }
      }
    })
    assert.ok(stopped != null, 'the sender was stopped')
    assert.equal(perPeer.size, 2, 'bytes came from two holders')
    const total = [...perPeer.values()].reduce((a, b) => a + b, 0)
    assert.equal(total, big.byteLength, 'no byte was fetched twice')
    const copy = await nodes[5].catalog.resolve('dataset', entry.manifest)
    assert.deepEqual(await collect(nodes[5].blobs.get(copy.files[0].cid)), Buffer.from(big))
  })

  it('drops a stopped node from search results', async () => {
    const stoppedIds = nodes.filter(n => n.host.status !== 'started').map(n => n.host.peerId.toString())
    assert.equal(stoppedIds.length, 1)
    const results = await nodes[0].catalog.search('dataset', ['#mnist', '#boston-housing', '#big'])
    assert.ok(results.length > 0)
    for (const r of results) assert.ok(!stoppedIds.includes(r.node.peerId))
  })
})
