import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { paip } from '../fixtures/cli.js'
import { TOKEN, serve, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'
import type { ApiServer } from '../../src/api/server.js'

describe('catalog: paip datasets and paip models', function () {
  this.timeout(60_000)
  let nodes: CatalogNode[] = []
  const servers: ApiServer[] = []
  const urls: string[] = []
  let home: string
  let work: string
  const shutdown = new AbortController()

  before(async () => {
    nodes = await startCatalogNodes(2)
    for (const node of nodes) {
      const { server, url } = await serve(node, shutdown.signal)
      servers.push(server)
      urls.push(url)
    }
    // node 0 is "the local node": its URL is in the home's api file
    home = await tempDir('paip-cli-home-')
    await fs.writeFile(path.join(home, 'api'), urls[0])
    work = await tempDir('paip-cli-src-')
  })

  after(async () => {
    shutdown.abort()
    await Promise.allSettled(servers.map(async s => s.close()))
    await stopCatalogNodes(nodes)
    await fs.rm(home, { recursive: true, force: true })
    await fs.rm(work, { recursive: true, force: true })
  })

  const run = async (args: string[], isTTY = false): ReturnType<typeof paip> =>
    paip(['--home', home, ...args], { env: { PAIP_TOKEN: TOKEN }, cwd: work, isTTY })

  it('adds a directory on the local node and prints it as JSON', async () => {
    await writeTree(path.join(work, 'mnist'), { 'train.csv': '1,2', 'test.csv': '3,4' })
    const added = await run(['--json', 'datasets', 'add', 'mnist', '--name', 'mnist', '--tags', '#MNIST,#digits', '--license', 'CC-BY-4.0', '--format', 'csv', '--public'])
    assert.equal(added.code, 0, added.stderr)
    const entry = added.json()
    assert.deepEqual(entry.tags, ['#mnist', '#digits'])
    assert.equal(entry.public, true)
    assert.equal(entry.files, 2)
    const listed = await run(['datasets', 'list'])
    assert.match(listed.stdout, /^mnist {2}admin {2}public/m, 'the list names the owner')
    const shown = await run(['datasets', 'show', 'mnist'])
    assert.match(shown.stdout, /train\.csv/)
  })

  it('uploads a file and a directory to a remote node', async () => {
    await fs.writeFile(path.join(work, 'model.onnx'), 'weights')
    const added = await run(['--api', urls[1], '--json', 'models', 'add', 'model.onnx', '--name', 'tiny', '--framework', 'onnx', '--task', 'image-classification', '--tags', '#vision', '--labels', 'cat,dog'])
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(added.json().labels, ['cat', 'dog'])
    const tree = await run(['--api', urls[1], '--json', 'datasets', 'add', 'mnist', '--name', 'm2'])
    assert.equal(tree.code, 0, tree.stderr)
    assert.equal(tree.json().files, 2)
    assert.equal((await run(['--api', urls[1], 'datasets', 'rm', 'm2'])).code, 0)
  })

  it('exits 2 on malformed tags and missing model fields, 4 on a missing path', async () => {
    assert.equal((await run(['datasets', 'add', 'mnist', '--name', 'bad', '--tags', 'MNIST'])).code, 2)
    assert.equal((await run(['models', 'add', 'model.onnx', '--name', 'nofw'])).code, 2)
    assert.equal((await run(['datasets', 'add', 'nowhere', '--name', 'nowhere'])).code, 4)
    assert.equal((await run(['datasets', 'search'])).code, 2)
  })

  it('searches the grid from any node', async () => {
    const found = await run(['--api', urls[1], '--json', 'datasets', 'search', '#MNIST'])
    assert.equal(found.code, 0, found.stderr)
    assert.deepEqual(found.json().map((r: any) => r.node.peerId), [nodes[0].host.peerId.toString()])
    const models = await run(['--json', 'models', 'search', '#vision'])
    assert.deepEqual(models.json().map((r: any) => r.entry.name), ['tiny'])
  })

  it('gets a public dataset with a progress bar on a terminal, then removes it', async () => {
    const got = await run(['--api', urls[1], 'datasets', 'get', 'mnist'], true)
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.stdout, /^fetched mnist/m)
    assert.match(got.stderr, /\[#+\] .*\/s {2}ETA/)
    const removed = await run(['--api', urls[1], '--json', 'datasets', 'rm', 'mnist'])
    assert.equal(removed.json().name, 'mnist')
    assert.equal((await run(['--api', urls[1], 'datasets', 'show', 'mnist'])).code, 4)
  })
})
