import assert from 'node:assert/strict'
import { createApiClient } from '../../src/client/index.js'
import { startNode } from '../fixtures/daemon.js'
import { protocolYaml } from '../jobs/fixtures.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'

async function failure (p: Promise<unknown>): Promise<{ status?: number, name?: string, details?: any, message?: string }> {
  try { await p } catch (err: any) { return { status: err.status, name: err.remoteName, details: err.details, message: err.message } }
  throw new Error('expected the request to fail')
}

async function login (node: TestNode, user: string, password = 'correct horse'): Promise<ApiClient> {
  const { token } = await node.anonymous.post<any>(`/repo/auth/${user}`, { password })
  return createApiClient({ url: node.url, token })
}

describe('users: roles over the REST API (/api/v1/users)', function () {
  this.timeout(60_000)
  let node: TestNode
  before(async () => { node = await startNode() })
  after(async () => { await node?.stop() })

  it('lets only the admin add, list, grant, revoke and remove users', async () => {
    const created = await node.client.post<any>('/api/v1/users', { name: 'alice', password: 'correct horse' })
    assert.deepEqual(created.user.roles, ['publish', 'read'])
    await node.client.post('/api/v1/users', { name: 'bob', password: 'correct horse', roles: ['read'] })
    const alice = await login(node, 'alice')
    assert.equal((await failure(alice.get('/api/v1/users'))).status, 403)
    assert.equal((await failure(alice.post('/api/v1/users/alice/roles', { roles: ['admin'] }))).status, 403)
    assert.equal((await failure(node.anonymous.get('/api/v1/users'))).status, 401)
    const list = await node.client.get<any>('/api/v1/users')
    assert.deepEqual(list.users.map((u: any) => [u.name, u.roles]), [['alice', ['publish', 'read']], ['bob', ['read']]])
    assert.deepEqual((await node.client.post<any>('/api/v1/users/bob/roles', { roles: ['run', 'publish'] })).user.roles, ['publish', 'run', 'read'])
    assert.deepEqual((await node.client.delete<any>('/api/v1/users/bob/roles', { roles: ['read'] })).user.roles, ['publish', 'run'])
    assert.deepEqual((await node.client.delete<any>('/api/v1/users/bob/roles/run')).user.roles, ['publish'])
    assert.deepEqual((await node.client.put<any>('/api/v1/users/bob/roles/run')).user.roles, ['publish', 'run'])
    const bad = await failure(node.client.post('/api/v1/users/bob/roles', { roles: ['root'] }))
    assert.equal(bad.status, 400)
    assert.equal(bad.name, 'UnknownRoleError')
    assert.equal((await failure(node.client.post('/api/v1/users/nobody/roles', { roles: ['run'] }))).status, 404)
    assert.equal((await failure(node.client.get('/api/v1/users/nobody'))).status, 404)
    assert.equal((await failure(node.client.post('/api/v1/users', { name: 'alice', password: 'correct horse' }))).status, 409)
    assert.equal((await failure(node.client.post('/api/v1/users', { name: 'Not Valid', password: 'correct horse' }))).status, 400)
    const bob = await login(node, 'bob')
    await node.client.delete('/api/v1/users/bob')
    assert.equal((await failure(bob.get('/api/v1/jobs'))).status, 401, 'a removed user\'s token stops working')
  })

  it('needs the run role to run a job or order an evaluation: none by default, and sign-up users get publish only', async () => {
    (node.node.components.config as any).users = { signUp: true }
    try {
      const signed = await node.anonymous.put<any>('/repo/user/carol', { password: 'correct horse' })
      assert.deepEqual(signed.roles, ['publish'])
    } finally {
      (node.node.components.config as any).users = { signUp: false }
    }
    const carol = await login(node, 'carol')
    const job = { protocol: protocolYaml(['echo hello']), id: 'carol-1' }
    const refused = await failure(carol.post('/api/v1/jobs', job))
    assert.equal(refused.status, 403)
    assert.equal(refused.name, 'RoleRequiredError')
    assert.match(refused.message ?? '', /"run" role/)
    assert.equal((await failure(carol.post('/api/v1/evals', { model: 'm', dataset: 'd' }))).name, 'RoleRequiredError')
    await node.client.post('/api/v1/users/carol/roles', { roles: ['run'] })
    const accepted = await carol.post<any>('/api/v1/jobs', job)
    assert.equal(accepted.job.owner, 'carol')
    assert.equal(accepted.job.submitter.user, 'carol')
  })
})

describe('users: the read role on a private node', function () {
  this.timeout(60_000)
  let node: TestNode
  before(async () => { node = await startNode({ config: { private: true } }) })
  after(async () => { await node?.stop() })

  it('lets a user read a private node only with the read role', async () => {
    await node.client.post('/api/v1/users', { name: 'dave', password: 'correct horse', roles: ['publish'] })
    const dave = await login(node, 'dave')
    assert.equal((await failure(node.anonymous.get('/api/v1/datasets'))).status, 401)
    const refused = await failure(dave.get('/api/v1/datasets'))
    assert.equal(refused.status, 403)
    assert.equal(refused.name, 'RoleRequiredError')
    await node.client.put('/api/v1/users/dave/roles/read')
    assert.deepEqual(await dave.get('/api/v1/datasets'), { datasets: [] })
  })
})
