import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { startGrid } from '../fixtures/grid.js'
import { protocolYaml } from '../jobs/fixtures.js'
import { until } from '../fixtures/wait.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

async function failure (p: Promise<unknown>): Promise<{ status?: number, name?: string, details?: any, message: string }> {
  try { await p } catch (err: any) { return { status: err.status, name: err.remoteName, details: err.details, message: String(err.message) } }
  throw new Error('expected the request to fail')
}

async function upload (client: ApiClient, kind: 'datasets' | 'models', metadata: unknown): Promise<any> {
  const response = await client.request(`/api/v1/${kind}`, {
    method: 'POST',
    raw: true,
    body: new TextEncoder().encode(JSON.stringify(metadata)),
    headers: { 'content-type': 'application/octet-stream' },
    query: { metadata: JSON.stringify(metadata), filename: 'data.txt' }
  })
  return await response.json()
}

describe('users: every dataset, model and job has an owner', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let node: TestNode
  let dir: string
  let alice: ApiClient
  let bob: ApiClient
  before(async () => {
    // a second node, so that adding a dataset has a DHT to announce it on
    grid = await startGrid(2)
    node = grid.nodes[0]
    await until(() => node.node.components.host.services.dht.routingTable.size > 0, 20_000, 'the nodes to meet')
    dir = await mkdtemp(join(tmpdir(), 'paip-owners-'))
    for (const name of ['alice', 'bob']) await node.client.post('/api/v1/users', { name, password: 'correct horse', roles: ['publish', 'run', 'read'] })
    await node.client.post('/api/v1/users', { name: 'reader', password: 'correct horse', roles: ['read'] })
    alice = await login('alice')
    bob = await login('bob')
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  async function login (user: string): Promise<ApiClient> {
    const { token } = await node.anonymous.post<any>(`/repo/auth/${user}`, { password: 'correct horse' })
    return createApiClient({ url: node.url, token })
  }

  it('refuses a user deleting the admin\'s private dataset (403 naming the admin), and keeps it', async () => {
    await writeFile(join(dir, 'secret.csv'), 'a,b\n1,2\n')
    const added = await node.client.post<any>('/api/v1/datasets', { path: join(dir, 'secret.csv'), metadata: { name: 'secret', tags: ['#private'] } })
    assert.equal(added.owner, 'admin')
    assert.equal(added.public, false)
    const refused = await failure(bob.delete('/api/v1/datasets/secret'))
    assert.equal(refused.status, 403)
    assert.equal(refused.name, 'NotOwnerError')
    assert.equal(refused.details.owner, 'admin')
    assert.match(refused.message, /dataset secret belongs to admin/)
    assert.equal((await failure(bob.delete(`/api/v1/datasets/${added.manifest as string}`))).status, 403, 'not by its CID either')
    assert.equal((await node.anonymous.get<any>('/api/v1/datasets/secret')).name, 'secret')
  })

  it('records who added a dataset or model, shows it in listings, and lets only that user or the admin delete it', async () => {
    const mine = await upload(alice, 'datasets', { name: 'alice-digits', tags: ['#digits'] })
    assert.equal(mine.owner, 'alice')
    const listed = await node.anonymous.get<any>('/api/v1/datasets')
    assert.equal(listed.datasets.find((d: any) => d.name === 'alice-digits').owner, 'alice')
    const refused = await failure(bob.delete('/api/v1/datasets/alice-digits'))
    assert.equal(refused.status, 403)
    assert.equal(refused.details.owner, 'alice')
    const taken = await failure(upload(bob, 'datasets', { name: 'alice-digits', tags: ['#digits'], description: 'bob\'s' }))
    assert.equal(taken.status, 409)
    assert.match(taken.message, /owned by alice/)
    assert.equal((await alice.delete<any>('/api/v1/datasets/alice-digits')).name, 'alice-digits')

    const model = await upload(bob, 'models', { name: 'bob-net', tags: [], framework: 'sklearn', task: 'regression' })
    assert.equal(model.owner, 'bob')
    assert.equal((await failure(alice.delete('/api/v1/models/bob-net'))).details.owner, 'bob')
    assert.equal((await node.client.delete<any>('/api/v1/models/bob-net')).name, 'bob-net', 'the admin may delete anything')
  })

  it('needs the publish role to add or fetch a dataset', async () => {
    const reader = await login('reader')
    const refused = await failure(upload(reader, 'datasets', { name: 'nope', tags: [] }))
    assert.equal(refused.status, 403)
    assert.equal(refused.name, 'RoleRequiredError')
    assert.equal((await failure(reader.post('/api/v1/datasets/fetch', { ref: 'anything' }))).name, 'RoleRequiredError')
  })

  it('lets only the submitter or the admin see, cancel and read the logs and results of a job', async () => {
    const started = await alice.post<any>('/api/v1/jobs', { id: 'alice-sleeps', protocol: protocolYaml(['sleep 30']) })
    assert.equal(started.job.owner, 'alice')
    for (const [method, path] of [['get', ''], ['post', '/cancel'], ['get', '/logs'], ['get', '/results']] as const) {
      const refused = await failure(bob[method](`/api/v1/jobs/alice-sleeps${path}`))
      assert.equal(refused.status, 403, `${method} ${path}`)
      assert.equal(refused.details.owner, 'alice')
    }
    assert.deepEqual((await bob.get<any>('/api/v1/jobs')).jobs, [])
    assert.equal((await node.client.get<any>('/api/v1/jobs')).jobs.find((j: any) => j.id === 'alice-sleeps').owner, 'alice')
    assert.equal((await alice.post<any>('/api/v1/jobs/alice-sleeps/cancel')).job.state, 'cancelled')
  })
})
