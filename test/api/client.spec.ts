import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { createApiClient } from '../../src/client/index.js'
import { createAuthenticator } from '../../src/api/auth.js'
import { createApiServer } from '../../src/api/server.js'
import { NotFoundError, PaipError } from '../../src/errors.js'
import { paipLogger } from '../../src/logger.js'
import type { ApiRoute } from '../../src/api/route.js'
import type { ApiServer } from '../../src/api/server.js'

const TOKEN = 'admin-token-for-tests-0123456789'

/** An API server with only the test's routes (the other components are not needed). */
export async function startTestApi (routes: ApiRoute[], init: { private?: boolean, bodyLimit?: number } = {}): Promise<{ app: ApiServer, url: string }> {
  const components = { authenticator: createAuthenticator({ adminToken: TOKEN }), logger: paipLogger() }
  const app = await createApiServer(components, { ...init, routes })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${address.port}` }
}

const routes: ApiRoute = (app, { access }) => {
  app.get('/open', async () => ({ hello: 'world' }))
  app.get('/missing', async () => { throw new NotFoundError('no such thing', { id: 42 }) })
  app.get('/busy', async () => { throw new PaipError('locked', 'busy') })
  app.get('/bug', async () => { throw new Error('secret internals') })
  app.post('/echo', async request => request.body)
  app.post('/write', { onRequest: access.requireWrite }, async request => ({ who: request.principal }))
  app.post('/admin', { onRequest: access.requireAdmin }, async () => ({ ok: true }))
  app.get('/read', { onRequest: access.readAccess }, async () => ({ ok: true }))
}

describe('api client and server', () => {
  let app: ApiServer
  let url: string

  before(async () => { ({ app, url } = await startTestApi([routes], { bodyLimit: 1024 })) })
  after(async () => { await app.close() })

  it('returns parsed JSON', async () => {
    const client = createApiClient({ url })
    assert.deepEqual(await client.get('/open'), { hello: 'world' })
    assert.deepEqual(await client.post('/echo', { a: [1, 2] }), { a: [1, 2] })
  })

  it('rethrows error bodies with their kind and remote name', async () => {
    const client = createApiClient({ url })
    await assert.rejects(client.get('/missing'), (err: any) => {
      assert.equal(err.name, 'ApiError')
      assert.equal(err.remoteName, 'NotFoundError')
      assert.equal(err.kind, 'not-found')
      assert.equal(err.status, 404)
      assert.deepEqual(err.details, { id: 42 })
      return true
    })
    await assert.rejects(client.get('/busy'), (err: any) => err.kind === 'busy' && err.status === 423)
  })

  it('hides the message of unexpected errors behind a 500', async () => {
    await assert.rejects(createApiClient({ url }).get('/bug'), (err: any) => {
      assert.equal(err.status, 500)
      assert.equal(err.kind, 'internal')
      assert.doesNotMatch(err.message, /secret/)
      return true
    })
  })

  it('answers unknown routes with a not-found error body', async () => {
    await assert.rejects(createApiClient({ url }).get('/nope'), (err: any) => err.kind === 'not-found' && err.remoteName === 'RouteNotFoundError')
  })

  it('rejects a body over the limit with 413', async () => {
    await assert.rejects(createApiClient({ url }).post('/echo', { big: 'x'.repeat(5000) }), (err: any) => err.kind === 'too-large' && err.status === 413)
  })

  it('rejects malformed JSON with 400', async () => {
    await assert.rejects(createApiClient({ url }).request('/echo', { method: 'POST', body: '{"a":', raw: true, headers: { 'content-type': 'application/json' } }), (err: any) => err.status === 400 && err.kind === 'invalid-input')
  })

  it('needs the admin token for admin routes', async () => {
    await assert.rejects(createApiClient({ url }).post('/admin', {}), (err: any) => err.status === 401 && err.kind === 'unauthorized')
    await assert.rejects(createApiClient({ url, token: 'wrong' }).post('/admin', {}), (err: any) => err.status === 401)
    assert.deepEqual(await createApiClient({ url, token: TOKEN }).post('/admin', {}), { ok: true })
    assert.deepEqual(await createApiClient({ url, token: TOKEN }).post('/write', {}), { who: { kind: 'admin', name: 'admin' } })
  })

  it('lets anyone read a public node', async () => {
    assert.deepEqual(await createApiClient({ url }).get('/read'), { ok: true })
  })

  it('needs a token to read a private node, and accepts added verifiers', async () => {
    const { app: privateApp, url: privateUrl } = await startTestApi([routes], { private: true })
    try {
      await assert.rejects(createApiClient({ url: privateUrl }).get('/read'), (err: any) => err.status === 401)
      assert.deepEqual(await createApiClient({ url: privateUrl, token: TOKEN }).get('/read'), { ok: true })
    } finally {
      await privateApp.close()
    }
  })

  it('says no node is running when nothing listens', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    await assert.rejects(createApiClient({ url: base }).get('/health-check'), (err: any) => {
      assert.equal(err.name, 'NodeNotRunningError')
      assert.equal(err.kind, 'unavailable')
      assert.equal(err.message, `no node running at ${base}: start one with \`paip daemon\``)
      return true
    })
  })
})

/** A port nothing listens on (bound, then released). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}
