import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { parseDataPath } from '../../src/data/index.js'
import { startGrid } from '../fixtures/grid.js'
import { spawnPaip } from '../repo/child.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

async function userClient (node: TestNode, name: string): Promise<{ client: ApiClient, token: string }> {
  const users = node.node.components.users
  await users.create(name, 'correct horse battery')
  const { token } = await users.login(name, 'correct horse battery')
  return { client: createApiClient({ url: node.url, token }), token }
}

async function putBytes (client: ApiClient, path: string, bytes: Uint8Array | string, query: Record<string, string | number> = {}): Promise<any> {
  const response = await client.request(`/api/v1/data/${path}`, { method: 'PUT', raw: true, body: bytes, headers: { 'content-type': 'application/octet-stream' }, query })
  return await response.json()
}

describe('data space', function () {
  this.timeout(60_000)
  let node: TestNode
  let grid: Grid | undefined
  let alice: { client: ApiClient, token: string }
  let bob: { client: ApiClient, token: string }
  let dir: string

  before(async () => {
    // a second node, so the catalog's announcements have somewhere to go
    grid = await startGrid(2)
    node = grid.nodes[1]
    alice = await userClient(node, 'alice')
    bob = await userClient(node, 'bob')
    dir = await mkdtemp(join(tmpdir(), 'paip-data-'))
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('parses data paths, .my as the caller, and refuses .. and empty segments', () => {
    assert.deepEqual(parseDataPath('data://.my/models/a/b.pkl', 'alice'), { user: 'alice', collection: 'models', file: 'a/b.pkl' })
    assert.deepEqual(parseDataPath('data://bob/models'), { user: 'bob', collection: 'models', file: '' })
    for (const bad of ['data://.my/../x', 'data://alice/c/../../x', 'data://alice/c//x', 'data://Alice/c/x', 'http://alice/c/x', 'data://alice/c/a\\b', 'data://.my/c/x']) {
      assert.throws(() => parseDataPath(bad, bad.includes('.my/c/x') ? undefined : 'alice'), { name: 'InvalidDataPathError' }, bad)
    }
  })

  it('puts, lists, gets and deletes files with the real paip CLI, .my standing for the token\'s user', async () => {
    await writeFile(join(dir, 'model.bin'), 'weights\n')
    const env = { PAIP_TOKEN: alice.token, PAIP_HOME: join(dir, 'nohome') }
    const run = async (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> => await spawnPaip(['--api', node.url, ...args], dir, 30_000, env).done
    const put = await run('--json', 'data', 'put', 'model.bin', 'data://.my/models/')
    assert.equal(put.code, 0, put.stderr)
    assert.equal(JSON.parse(put.stdout).path, 'data://alice/models/model.bin')
    const ls = await run('data', 'ls', 'data://.my/models')
    assert.equal(ls.code, 0, ls.stderr)
    assert.match(ls.stdout, /data:\/\/alice\/models\/model\.bin/)
    const got = await run('data', 'get', 'data://alice/models/model.bin', 'copy.bin')
    assert.equal(got.code, 0, got.stderr)
    assert.equal(await readFile(join(dir, 'copy.bin'), 'utf8'), 'weights\n')
    const removed = await run('data', 'rm', 'data://.my/models/model.bin')
    assert.equal(removed.code, 0, removed.stderr)
    const gone = await run('data', 'get', 'data://.my/models/model.bin', '-')
    assert.equal(gone.code, 4)
    assert.match(gone.stderr, /nothing at data:\/\/alice\/models\/model\.bin/)
  })

  it('keeps a user\'s space from other users and from anonymous callers; the admin reaches every space', async () => {
    await putBytes(alice.client, '.my/private/secret.txt', 'alice only')
    await assert.rejects(bob.client.get('/api/v1/data/alice/private/secret.txt'), { kind: 'forbidden' })
    await assert.rejects(putBytes(bob.client, 'alice/private/secret.txt', 'overwritten'), { kind: 'forbidden' })
    await assert.rejects(bob.client.delete('/api/v1/data/alice/private/secret.txt'), { kind: 'forbidden' })
    await assert.rejects(node.anonymous.get('/api/v1/data/alice/private/secret.txt'), { kind: 'unauthorized' })
    const listing = await bob.client.get<any>('/api/v1/data/.my', { query: { list: 1 } })
    assert.deepEqual(listing.files, [])
    const response = await node.client.request('/api/v1/data/alice/private/secret.txt')
    assert.equal(await response.text(), 'alice only')
  })

  it('lists a whole space with its collections and deletes a collection only when asked to recurse', async () => {
    await putBytes(alice.client, '.my/imgs/a/1.png', 'one')
    await putBytes(alice.client, '.my/imgs/a/2.png', 'two')
    const space = await alice.client.get<any>('/api/v1/data/.my')
    assert.ok(space.collections.includes('imgs'))
    const folder = await alice.client.get<any>('/api/v1/data/.my/imgs/a')
    assert.equal(folder.files.length, 2)
    await assert.rejects(alice.client.delete('/api/v1/data/.my/imgs'), { name: 'ApiError', kind: 'not-found' })
    const { deleted } = await alice.client.delete<any>('/api/v1/data/.my/imgs', undefined, { query: { recursive: 1 } })
    assert.equal(deleted.length, 2)
  })

  it('refuses a file that cannot fit on the node before reading it, and bytes that do not match the expected CID', async () => {
    await assert.rejects(putBytes(alice.client, '.my/big/huge.bin', 'x', { size: 2 ** 50 }), (err: any) => err.kind === 'too-large' && err.remoteName === 'DataTooLargeError')
    await assert.rejects(putBytes(alice.client, '.my/big/x.bin', 'abc', { cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }), { kind: 'corrupt' })
    await assert.rejects(alice.client.get('/api/v1/data/.my/big/x.bin'), { kind: 'not-found' })
  })

  it('keeps a file whose bytes another user added as a dataset and then deleted, and through a blob sweep (blobs are shared by content)', async () => {
    const bytes = 'shared bytes ' + Date.now()
    await putBytes(alice.client, '.my/keep/file.txt', bytes)
    const response = await bob.client.request('/api/v1/datasets', {
      method: 'POST',
      raw: true,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      query: { metadata: JSON.stringify({ name: 'copycat' }), filename: 'file.txt' }
    })
    assert.equal(response.status, 201)
    await bob.client.delete('/api/v1/datasets/copycat')
    await node.node.components.sweepBlobs({ grace: 0 })
    const kept = await alice.client.request('/api/v1/data/.my/keep/file.txt')
    assert.equal(await kept.text(), bytes)
  })

  it('answers a malformed path with a clear 400', async () => {
    await assert.rejects(alice.client.get('/api/v1/data/.my/c/a%5Cb'), (err: any) => err.status === 400 && err.remoteName === 'InvalidDataPathError')
    await assert.rejects(putBytes(alice.client, 'NotAUser/c/x', 'x'), (err: any) => err.status === 400)
  })
})
