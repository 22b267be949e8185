import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { startGrid } from '../fixtures/grid.js'
import { until } from '../fixtures/wait.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

async function failure (p: Promise<unknown>): Promise<{ status?: number, name?: string }> {
  try { await p } catch (err: any) { return { status: err.status, name: err.remoteName } }
  throw new Error('expected the request to fail')
}

describe('fed: the REST API and who may use it', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let node: TestNode
  let dir: string
  let alice: ApiClient
  const body = { train: 'x', aggregate: 'y', dataset: '#nobody-holds-this', rounds: 2, init: 'tiny' }

  before(async () => {
    // a second node, so that announcing the model on the DHT has somewhere to go
    grid = await startGrid(2)
    node = grid.nodes[0]
    await until(async () => node.node.components.host.getConnections().length > 0, 15_000, 'the nodes to connect')
    dir = await mkdtemp(path.join(tmpdir(), 'paip-fed-api-'))
    await writeFile(path.join(dir, 'model.json'), '{"weights": [0]}')
    await node.node.components.catalog.add('model', { path: dir }, { name: 'tiny', tags: ['#tiny'], framework: 'python', task: 'classification', public: true })
    await node.client.post('/api/v1/users', { name: 'alice', password: 'correct horse' })
    const { token } = await node.anonymous.post<any>('/repo/auth/alice', { password: 'correct horse' })
    alice = createApiClient({ url: node.url, token })
  })
  after(async () => {
    await grid?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('needs a token, and the run role to start a run', async () => {
    assert.equal((await failure(node.anonymous.post('/api/v1/fed', body))).status, 401)
    const refused = await failure(alice.post('/api/v1/fed', body))
    assert.equal(refused.status, 403)
    assert.equal(refused.name, 'FedNotAllowedError')
    await node.client.post('/api/v1/users/alice/roles', { roles: ['run'] })
    const bad = await failure(alice.post('/api/v1/fed', { ...body, init: 'no-such-model' }))
    assert.equal(bad.status, 400)
    assert.equal(bad.name, 'InvalidFedRunError')
    assert.equal((await failure(alice.post('/api/v1/fed', { ...body, rounds: 0 }))).status, 400)
    assert.equal((await failure(alice.post('/api/v1/fed', { ...body, fraction: 1.5 }))).status, 400)
  })

  it('lets a user cancel only its own runs (the admin, any); a run waiting for holders says so in its log', async () => {
    const { run } = await node.client.post<any>('/api/v1/fed', { ...body, id: 'admins-run' })
    assert.equal(run.state, 'running')
    const again = await node.client.post<any>('/api/v1/fed', { ...body, id: 'admins-run', rounds: 5 })
    assert.equal(again.run.rounds, 2, 'the same ID again returns the existing run')
    const refused = await failure(alice.post('/api/v1/fed/admins-run/cancel', {}))
    assert.equal(refused.status, 403)
    const { lines } = await node.client.get<any>('/api/v1/fed/admins-run/logs')
    assert.match(lines.join('\n'), /run admins-run started: 2 round\(s\) over #nobody-holds-this/)
    const cancelled = await node.client.post<any>('/api/v1/fed/admins-run/cancel', {})
    assert.equal(cancelled.run.state, 'cancelled')
    assert.equal((await node.client.get<any>('/api/v1/fed')).runs[0].id, 'admins-run')
    assert.equal((await failure(node.client.get('/api/v1/fed/no-such-run'))).status, 404)
  })
})
