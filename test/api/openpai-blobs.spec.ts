import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { MAX_STORAGE_BLOB_BYTES } from '../../src/api/constants.js'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

async function call (node: TestNode, method: string, path: string, token?: string, body?: Uint8Array | string): Promise<{ status: number, text: string, json: any, type: string | null }> {
  const response = await fetch(node.url + path, {
    method,
    headers: { ...(token == null ? {} : { authorization: `Bearer ${token}` }), ...(body == null ? {} : { 'content-type': 'application/octet-stream' }) },
    body
  })
  const text = await response.text()
  let json: any
  try { json = JSON.parse(text) } catch {}
  return { status: response.status, text, json, type: response.headers.get('content-type') }
}

describe('api: OpenPAI marketplace data storages (/storages/blobs) on the blob store', function () {
  this.timeout(60_000)
  let node: TestNode
  let admin: string
  let alice: string
  let bob: string

  before(async () => {
    node = await startNode()
    admin = (await readFile(`${node.home}/token`, 'utf8')).trim()
    for (const user of ['alice', 'bob']) {
      const response = await fetch(`${node.url}/repo/user/${user}`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: `${user} password` }) })
      assert.ok(response.status < 500)
    }
    const login = async (user: string): Promise<string> => {
      const response = await fetch(`${node.url}/repo/auth/${user}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: `${user} password` }) })
      return ((await response.json()) as any).token
    }
    alice = await login('alice')
    bob = await login('bob')
  })
  after(async () => { await node?.stop() })

  it('creates (201 { id }), lists, reads, updates (200 updated) and deletes (200 deleted) a blob with the original\'s codes', async () => {
    const created = await call(node, 'POST', '/storages/blobs', alice, 'first bytes')
    assert.equal(created.status, 201)
    const id = created.json.id
    assert.match(id, /^[0-9a-f-]{36}$/)
    const listed = await call(node, 'GET', '/storages/blobs')
    assert.equal(listed.status, 200)
    assert.deepEqual(listed.json.map((b: any) => [b.id, b.owner, b.size]), [[id, 'alice', 11]])
    // the bytes are a blob of the node's store
    assert.equal(await node.node.components.blobs.has(listed.json[0].cid), true)
    assert.equal((await call(node, 'GET', `/storages/blobs/${id}`)).text, 'first bytes')

    const updated = await call(node, 'PUT', `/storages/blobs/${id}`, alice, 'second bytes')
    assert.equal(updated.status, 200)
    assert.equal(updated.text, 'updated')
    assert.equal((await call(node, 'GET', `/storages/blobs/${id}`)).text, 'second bytes')

    const deleted = await call(node, 'DELETE', `/storages/blobs/${id}`, alice)
    assert.equal(deleted.status, 200)
    assert.equal(deleted.text, 'deleted')
    const gone = await call(node, 'GET', `/storages/blobs/${id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.json.error.kind, 'not-found')
  })

  it('refuses writes without a token (401), with a bad one (401), and another user\'s changes (403); the admin may delete', async () => {
    assert.equal((await call(node, 'POST', '/storages/blobs', undefined, 'x')).status, 401)
    assert.equal((await call(node, 'POST', '/storages/blobs', 'not-a-token', 'x')).status, 401)
    const id = (await call(node, 'POST', '/storages/blobs', alice, 'alice data')).json.id
    const hijack = await call(node, 'PUT', `/storages/blobs/${id}`, bob, 'bob data')
    assert.equal(hijack.status, 403)
    assert.equal(typeof hijack.json.error.kind, 'string')
    assert.equal((await call(node, 'DELETE', `/storages/blobs/${id}`, bob)).status, 403)
    assert.equal((await call(node, 'GET', `/storages/blobs/${id}`)).text, 'alice data')
    assert.equal((await call(node, 'DELETE', `/storages/blobs/${id}`, admin)).status, 200)
    assert.equal((await call(node, 'PUT', '/storages/blobs/no-such-blob', alice, 'x')).status, 404)
  })

  it('keeps a storage blob\'s bytes through the blob sweep, and lets it remove them once the blob is deleted', async () => {
    const id = (await call(node, 'POST', '/storages/blobs', alice, 'kept through gc')).json.id
    const cid = (await call(node, 'GET', '/storages/blobs')).json.find((b: any) => b.id === id).cid
    await node.node.components.sweepBlobs({ grace: 0 })
    assert.equal((await call(node, 'GET', `/storages/blobs/${id}`)).text, 'kept through gc')
    assert.equal((await call(node, 'DELETE', `/storages/blobs/${id}`, alice)).status, 200)
    await node.node.components.sweepBlobs({ grace: 0 })
    assert.equal(await node.node.components.blobs.has(cid), false)
  })

  it('refuses a body over the bound with 413 in the error shape, storing nothing', async () => {
    const before = (await call(node, 'GET', '/storages/blobs')).json.length
    const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const url = new URL('/storages/blobs', node.url)
      const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream', 'content-length': String(MAX_STORAGE_BLOB_BYTES + 1) } }, response => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', chunk => { body += chunk })
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }); req.destroy() })
      })
      req.on('error', reject)
      req.write('a few bytes only')
    })
    assert.equal(answer.status, 413)
    assert.equal(JSON.parse(answer.body).error.kind, 'too-large')
    assert.equal((await call(node, 'GET', '/storages/blobs')).json.length, before)
  })
})
