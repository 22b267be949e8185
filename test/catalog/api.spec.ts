import assert from 'node:assert/strict'
import http from 'node:http'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { until } from '../fixtures/wait.js'
import { TOKEN, bytesOf, fastInit, serve, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'
import type { ApiClient } from '../../src/client/index.js'
import type { ApiServer } from '../../src/api/server.js'

describe('catalog: HTTP routes', function () {
  this.timeout(60_000)
  let nodes: CatalogNode[] = []
  let server: ApiServer
  let api: ApiClient
  let anonymous: ApiClient
  let url: string
  let work: string
  const shutdown = new AbortController()

  before(async () => {
    // seed 002's POST /search answers the loopback addresses a client dials
    nodes = await startCatalogNodes(3, fastInit, { transport: 'tcp' })
    ;({ server, url } = await serve(nodes[0], shutdown.signal))
    api = createApiClient({ url, token: TOKEN })
    anonymous = createApiClient({ url })
    work = await tempDir('paip-api-src-')
  })

  after(async () => {
    shutdown.abort()
    await server?.close()
    await stopCatalogNodes(nodes)
    if (work != null) await fs.rm(work, { recursive: true, force: true })
  })

  async function upload (client: ApiClient, bytes: Uint8Array, metadata: unknown, filename = 'data.bin'): Promise<any> {
    const response = await client.request('/api/v1/datasets', {
      method: 'POST',
      raw: true,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      query: { metadata: JSON.stringify(metadata), filename }
    })
    return response.json()
  }

  it('refuses an upload without a token (401)', async () => {
    await assert.rejects(upload(anonymous, new Uint8Array(10), { name: 'x', tags: [] }), (err: any) => err.status === 401)
  })

  it('takes a streamed upload, then lists, shows and deletes it', async () => {
    const entry = await upload(api, bytesOf(3 * 1024 * 1024), { name: 'uploaded', tags: ['#Upload'], public: true }, 'u.bin')
    assert.equal(entry.name, 'uploaded')
    assert.deepEqual(entry.tags, ['#upload'])
    assert.equal(entry.size, 3 * 1024 * 1024)
    const list = await anonymous.get<any>('/api/v1/datasets')
    assert.deepEqual(list.datasets.map((d: any) => d.name), ['uploaded'])
    const shown = await anonymous.get<any>('/api/v1/datasets/uploaded')
    assert.deepEqual(shown.manifestFiles.map((f: any) => f.path), ['u.bin'])
    await api.delete('/api/v1/datasets/uploaded')
    await assert.rejects(anonymous.get('/api/v1/datasets/uploaded'), (err: any) => err.status === 404 && err.remoteName === 'EntryNotFoundError')
  })

  it('answers bad metadata with 400 naming the problem', async () => {
    await assert.rejects(upload(api, new Uint8Array(1), { name: 'x', tags: ['MNIST'] }), (err: any) => err.status === 400 && err.remoteName === 'InvalidTagError')
    await assert.rejects(upload(api, new Uint8Array(1), { tags: [] }), (err: any) => err.status === 400 && err.remoteName === 'InvalidMetadataError')
    await assert.rejects(api.post('/api/v1/models', { path: work, metadata: { name: 'm', tags: [] } }), (err: any) => err.status === 400 && err.remoteName === 'InvalidMetadataError')
  })

  it('adds a directory on the node by path (admin token) and a model', async () => {
    const dir = await writeTree(path.join(work, 'tree'), { 'a.csv': 'a', 'b/c.csv': 'c' })
    const entry = await api.post<any>('/api/v1/datasets', { path: dir, metadata: { name: 'tree', tags: ['#tree'] } })
    assert.equal(entry.files, 2)
    const model = await api.post<any>('/api/v1/models', { path: path.join(dir, 'a.csv'), metadata: { name: 'm1', tags: [], framework: 'sklearn', task: 'regression' } })
    assert.equal(model.framework, 'sklearn')
    assert.deepEqual((await api.get<any>('/api/v1/models')).models.map((m: any) => m.name), ['m1'])
    await assert.rejects(api.post('/api/v1/datasets', { path: path.join(dir, 'nope'), metadata: { name: 'nope', tags: [] } }), (err: any) => err.status === 404 && err.remoteName === 'PathNotFoundError')
  })

  it('leaves nothing half-registered when the client drops an upload midway', async () => {
    const blobsBefore = await countBlobs(nodes[0])
    await new Promise<void>((resolve) => {
      const target = new URL('/api/v1/datasets', url)
      target.searchParams.set('metadata', JSON.stringify({ name: 'dropped', tags: [] }))
      target.searchParams.set('filename', 'd.bin')
      const req = http.request(target, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } })
      req.on('error', () => resolve())
      req.write(bytesOf(2 * 1024 * 1024), () => {
        setTimeout(() => { req.destroy(); resolve() }, 200)
      })
    })
    await until(async () => (await fs.readdir(path.join(nodes[0].blobs.dir, 'tmp'))).length === 0, 10_000, 'the temp file to be removed')
    await assert.rejects(api.get('/api/v1/datasets/dropped'), (err: any) => err.status === 404)
    assert.equal(await countBlobs(nodes[0]), blobsBefore)
  })

  it('answers seed 002\'s POST /search with node ids and addresses', async () => {
    const dir = await writeTree(path.join(work, 'm'), { 'x.csv': 'x' })
    await nodes[1].catalog.add('dataset', { path: dir }, { name: 'mn', tags: ['#mnist'], public: true })
    await nodes[2].catalog.add('dataset', { path: dir }, { name: 'both', tags: ['#mnist', '#boston-housing'] })
    const answer = await anonymous.post<any>('/search', { query: ['#MNIST', '#boston-housing'] })
    const pairs: Array<[string, string]> = answer['node-addresses']
    assert.deepEqual(pairs.map(p => p[0]), [nodes[2].host.peerId.toString(), nodes[1].host.peerId.toString()])
    for (const [id, address] of pairs) assert.ok(address.startsWith('/ip4/127.0.0.1/') && address.endsWith(`/p2p/${id}`))
    await assert.rejects(anonymous.post('/search', { query: [] }), (err: any) => err.status === 400)
    await assert.rejects(anonymous.post('/search', { query: Array.from({ length: 1000 }, (_, i) => `#t${i}`) }), (err: any) => err.status === 400)
    assert.deepEqual(await anonymous.post('/search', { query: ['#unknown'] }), { 'node-addresses': [] })
  })

  it('fetches a public dataset over HTTP, streaming progress as NDJSON', async () => {
    const response = await api.request('/api/v1/datasets/fetch', { method: 'POST', body: { ref: 'mn' }, headers: { accept: 'application/x-ndjson' } })
    const lines = (await response.text()).trim().split('\n').map(l => JSON.parse(l))
    assert.equal(lines.at(-1).entry.name, 'mn')
    assert.ok(lines.some(l => l.progress != null))
    const refused = await api.request('/api/v1/datasets/fetch', { method: 'POST', body: { ref: 'both' }, headers: { accept: 'application/x-ndjson' } })
    const last = JSON.parse((await refused.text()).trim().split('\n').at(-1)!)
    assert.equal(last.error.name, 'EntryPrivateError')
    await assert.rejects(api.post('/api/v1/datasets/fetch', { ref: 'both' }), (err: any) => err.status === 403)
  })
})

async function countBlobs (node: CatalogNode): Promise<number> {
  let n = 0
  for await (const _ of node.blobs.list()) n++
  return n
}
