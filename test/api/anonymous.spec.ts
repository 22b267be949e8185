import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Server } from 'node:net'

/** Routes an anonymous caller may use to do something other than read, and why. */
const ANONYMOUS_ACTIONS: Record<string, string> = {
  'POST /repo/auth/{user}': 'logging in is how a caller gets a token',
  'PUT /repo/user/{user}': 'sign-up, when the node allows it (401 otherwise)',
  'POST /search': 'seed 002\'s grid search: a read of the catalogue',
  'POST /api/v1/datasets/search': 'a read of the catalogue',
  'POST /api/v1/models/search': 'a read of the catalogue',
  'POST /api/v1/protocols/validate': 'checks the protocol in the body: nothing dialled, fetched or stored'
}

describe('api: anonymous callers may read, never make the node act for them', function () {
  this.timeout(60_000)
  let a: TestNode
  let b: TestNode
  let listener: Server
  let dialled = 0

  before(async () => {
    a = await startNode()
    b = await startNode()
    // a bystander: it counts the connections a node is made to open to it
    listener = createServer(socket => { dialled++; socket.destroy() })
    await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve))
  })
  after(async () => {
    listener?.close()
    await a?.stop()
    await b?.stop()
  })

  const anonymous = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const response = await fetch(a.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await response.text()
    let parsed: any = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: response.status, body: parsed }
  }

  it('refuses an anonymous ping (it dials any address, DNS names too) without dialling', async () => {
    const port = (listener.address() as { port: number }).port
    const peer = b.node.components.peerId.toString()
    for (const target of [`/ip4/127.0.0.1/tcp/${port}/p2p/${peer}`, `/dns4/localhost/tcp/${port}/p2p/${peer}`, peer]) {
      const answer = await anonymous('POST', '/api/v1/ping', { peer: target, timeout: 2000 })
      assert.equal(answer.status, 401, `${target}: ${JSON.stringify(answer.body)}`)
      assert.match(answer.body.error.message, /anonymous requests may only read/)
    }
    assert.equal(dialled, 0)
    // with a token it does ping
    const { rtt } = await a.client.post<any>('/api/v1/ping', { peer: b.node.components.host.getMultiaddrs()[0].toString() })
    assert.ok(rtt >= 0)
  })

  it('refuses anonymous pulls and publisher listings (the node fetches, stores or dials for them)', async () => {
    assert.equal((await anonymous('GET', '/api/v1/marketplace/pull?ref=someone/mnist')).status, 401)
    assert.equal((await anonymous('GET', `/api/v1/marketplace/publishers/${b.node.components.peerId.toString()}`)).status, 401)
  })

  it('answers anonymous reads', async () => {
    for (const path of ['/health-check', '/api/v1/id', '/api/v1/peers', '/api/v1/datasets', '/api/v1/marketplace/entries', '/repo/search/mnist?timeout=200']) {
      const answer = await anonymous('GET', path)
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`)
    }
  })

  it('every route that is not a read refuses an anonymous caller, unless it is a listed exception', async () => {
    const doc: any = await (await fetch(a.url + '/api/v1/openapi.json')).json()
    const checked: string[] = []
    for (const [template, operations] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(operations).map(m => m.toUpperCase())) {
        if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') continue
        const route = `${method} ${template}`
        if (ANONYMOUS_ACTIONS[route] != null) continue
        const path = template.replace(/\{[^}]+\}/g, 'x')
        const answer = await anonymous(method, path, {})
        assert.ok(answer.status === 401, `${route} answered an anonymous caller ${answer.status}: ${JSON.stringify(answer.body)}`)
        checked.push(route)
      }
    }
    assert.ok(checked.length > 10, checked.join(', '))
  })
})
