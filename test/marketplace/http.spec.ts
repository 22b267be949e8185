import assert from 'node:assert/strict'
import { createApiClient } from '../../src/client/index.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml, startMarketGrid, startMarketNode } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

async function status (p: Promise<unknown>): Promise<number | undefined> {
  try { await p; return 200 } catch (err: any) { return err.status ?? err.kind }
}

describe('marketplace: HTTP routes', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let a: TestNode
  let b: TestNode
  before(async () => {
    grid = await startMarketGrid(2)
    ;[a, b] = grid.nodes
    await until(async () => b.node.components.host.services.dht.routingTable.size > 0, 15_000, 'B to join A')
  })
  after(async () => {
    await grid?.stop()
  })

  it('creates users only by the admin while sign-up is closed; logs in; refuses wrong passwords with 401', async () => {
    assert.equal(await status(a.anonymous.put('/repo/user/alice', { password: 'correct horse' })), 401)
    const created = await a.client.put<any>('/repo/user/alice', { password: 'correct horse' })
    assert.equal(created.user, 'alice')
    assert.equal(await status(a.client.put('/repo/user/alice', { password: 'correct horse' })), 409)
    const login = await a.anonymous.post<any>('/repo/auth/alice', { password: 'correct horse' })
    assert.match(login.token, /^paip_u_/)
    assert.ok(Date.parse(login.expires) > Date.now())
    await assert.rejects(a.anonymous.post('/repo/auth/alice', { password: 'wrong one' }),
      (err: any) => err.status === 401 && err.remoteName === 'BadCredentialsError')
  })

  it('opens sign-up when the config allows it', async () => {
    (a.node.components.config as any).users = { signUp: true }
    try {
      const created = await a.anonymous.put<any>('/repo/user/carol', { password: 'carol password' })
      assert.equal(created.user, 'carol')
    } finally {
      delete (a.node.components.config as any).users
    }
  })

  it('publishes with a user token, refuses pushes without one, invalid protocols and paths outside the repository', async () => {
    const { token } = await a.anonymous.post<any>('/repo/auth/alice', { password: 'correct horse' })
    const alice = createApiClient({ url: a.url, token })
    const yaml = protocolYaml('mnist', 'Handwritten digits')
    const put = (client: typeof alice, path: string, body: Uint8Array | string): Promise<any> =>
      client.put(path, body, { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    assert.equal(await status(put(a.anonymous, '/repo/protocol/mnist.yaml', yaml)), 401)
    await assert.rejects(put(alice, '/repo/protocol/bad.yaml', 'protocolVersion: 2\nname: bad\n'),
      (err: any) => err.status === 400 && err.remoteName === 'ProtocolInvalidError' && (err.details as any).problems.length > 0)
    assert.equal(await status(put(alice, '/repo/protocol/..%2F..%2Fevil.yaml', yaml)), 400)
    assert.equal(await status(a.anonymous.get('/repo/protocol/..%2F..%2Fetc%2Fpasswd')), 400)
    const published = await put(alice, '/repo/protocol/mnist.yaml', yaml)
    assert.equal(published.name, 'alice/mnist')
    assert.equal(published.publisher, a.node.components.peerId.toString())

    const served = await a.anonymous.request('/repo/protocol/mnist.yaml')
    assert.equal(await served.text(), new TextDecoder().decode(yaml))

    const found = await b.anonymous.get<any>('/repo/search/handwritten%20digits')
    assert.equal(found.results[0].name, 'alice/mnist')
    assert.equal(found.results[0].user, 'alice')

    await assert.rejects(b.anonymous.get('/api/v1/marketplace/pull', { query: { ref: `${published.publisher}/mnist` } }), (err: any) => err.status === 401)
    const pulled = await b.client.get<any>('/api/v1/marketplace/pull', { query: { ref: `${published.publisher}/mnist` } })
    assert.equal(pulled.head, published.version)
    assert.equal(pulled.records.length, 1)

    await alice.delete('/repo/auth')
    assert.equal(await status(put(alice, '/repo/protocol/mnist.yaml', yaml)), 401)
  })

  it('streams search hits as NDJSON', async () => {
    const response = await b.anonymous.request('/repo/search/mnist', { headers: { accept: 'application/x-ndjson' } })
    const lines = (await response.text()).trim().split('\n').map(l => JSON.parse(l))
    assert.equal(lines.at(-1).done, true)
    assert.ok(lines.some(l => l.hit?.name === 'alice/mnist'))
  })
})

describe('marketplace: a private node', function () {
  this.timeout(60_000)
  let node: TestNode | undefined
  after(async () => { await node?.stop() })

  it('needs a token to read as well as to write', async () => {
    node = await startMarketNode([], { private: true })
    await node.client.put('/repo/user/dave', { password: 'dave password' })
    assert.equal(await status(node.anonymous.get('/repo/search/mnist')), 401)
    assert.equal(await status(node.anonymous.get('/api/v1/marketplace/entries')), 401)
    const { token } = await node.anonymous.post<any>('/repo/auth/dave', { password: 'dave password' })
    const dave = createApiClient({ url: node.url, token })
    assert.deepEqual((await dave.get<any>('/repo/search/mnist')).results, [])
  })
})
