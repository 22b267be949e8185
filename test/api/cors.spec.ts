import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

/** A browser's CORS preflight for a token-bearing JSON request from `origin`. */
async function preflight (node: TestNode, path: string, origin: string, method = 'POST'): Promise<Response> {
  return await fetch(node.url + path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' }
  })
}

describe('api: cross-origin calls (CORS) for the /plugin.js element in another portal', function () {
  this.timeout(60_000)

  describe('by default (any origin, no credentials mode)', () => {
    let node: TestNode
    let admin: string
    before(async () => {
      node = await startNode()
      admin = (await readFile(`${node.home}/token`, 'utf8')).trim()
    })
    after(async () => { await node?.stop() })

    it('answers a preflight for a token-bearing request with 204 and the allowed method and headers, without asking for a token', async () => {
      const response = await preflight(node, '/items', 'https://pai.example.org')
      assert.equal(response.status, 204)
      assert.equal(response.headers.get('access-control-allow-origin'), '*')
      assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/)
      const headers = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase()
      assert.match(headers, /authorization/)
      assert.match(headers, /content-type/)
      assert.equal(response.headers.get('access-control-allow-credentials'), null)
    })

    it('lets a cross-origin read and a request with an Authorization header through, their answers readable by the page', async () => {
      const read = await fetch(node.url + '/items', { headers: { origin: 'https://pai.example.org' } })
      assert.equal(read.status, 200)
      assert.equal(read.headers.get('access-control-allow-origin'), '*')
      const withToken = await fetch(node.url + '/items', { headers: { origin: 'https://pai.example.org', authorization: `Bearer ${admin}` } })
      assert.equal(withToken.status, 200)
      assert.equal(withToken.headers.get('access-control-allow-origin'), '*')
      // a refused write still answers the project's error shape, readable cross-origin
      const refused = await fetch(node.url + '/items', { method: 'POST', headers: { origin: 'https://pai.example.org', authorization: 'Bearer not-a-token', 'content-type': 'application/json' }, body: '{}' })
      assert.equal(refused.status, 401)
      assert.equal(refused.headers.get('access-control-allow-origin'), '*')
      assert.equal(typeof ((await refused.json()) as any).error.kind, 'string')
    })
  })

  describe('with api.corsOrigins set to one portal', () => {
    let node: TestNode
    before(async () => { node = await startNode({ config: { api: { corsOrigins: ['https://pai.example.org'] } } }) })
    after(async () => { await node?.stop() })

    it('allows that origin only: another origin gets no allow header, so its pages cannot read the answers', async () => {
      const allowed = await preflight(node, '/items', 'https://pai.example.org')
      assert.equal(allowed.status, 204)
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://pai.example.org')
      assert.match(allowed.headers.get('vary') ?? '', /origin/i)
      const other = await preflight(node, '/items', 'https://evil.example')
      assert.equal(other.headers.get('access-control-allow-origin'), null)
      const read = await fetch(node.url + '/items', { headers: { origin: 'https://evil.example' } })
      assert.equal(read.headers.get('access-control-allow-origin'), null)
    })
  })
})
