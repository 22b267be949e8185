import assert from 'node:assert/strict'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('api: node routes', () => {
  let a: TestNode
  let b: TestNode

  before(async () => {
    a = await startNode()
    b = await startNode()
  })
  after(async () => {
    await a?.stop()
    await b?.stop()
  })

  const bAddress = (): string => b.node.components.host.getMultiaddrs()[0].toString()

  it('GET /api/v1/id gives the peer ID, addresses and protocols', async () => {
    const id = await a.anonymous.get<any>('/api/v1/id')
    assert.equal(id.peerId, a.node.components.peerId.toString())
    assert.ok(id.addresses.every((x: string) => x.endsWith(`/p2p/${id.peerId}`)))
    assert.ok(id.protocols.includes('/paip/kad/1.0.0'))
  })

  it('POST /join without the admin token is 401', async () => {
    await assert.rejects(a.anonymous.post('/join', { 'node-id': b.node.components.peerId.toString(), 'node-address': bAddress() }), (err: any) => err.status === 401)
    await assert.rejects(a.anonymous.request('/join', { method: 'POST', body: 'garbage', raw: true, headers: { 'content-type': 'application/json' } }), (err: any) => err.status === 401)
  })

  it('POST /join with garbage is 400', async () => {
    const bad: unknown[] = [
      {},
      { 'node-id': 'Bob', 'node-address': bAddress() },
      { 'node-id': b.node.components.peerId.toString(), 'node-address': 'http://user:secret@127.0.0.1:1' },
      { 'node-id': a.node.components.peerId.toString(), 'node-address': bAddress() },
      { 'node-id': 42, 'node-address': [] },
      [1, 2, 3]
    ]
    for (const body of bad) {
      await assert.rejects(a.client.post('/join', body), (err: any) => {
        assert.equal(err.status, 400, JSON.stringify(body))
        assert.equal(err.kind, 'invalid-input')
        return true
      })
    }
    await assert.rejects(a.client.request('/join', { method: 'POST', body: '{"node-id":', raw: true, headers: { 'content-type': 'application/json' } }), (err: any) => err.status === 400)
  })

  it('POST /join with a multiaddr naming another peer is 400', async () => {
    const address = `/ip4/127.0.0.1/tcp/1/p2p/${a.node.components.peerId.toString()}`
    await assert.rejects(a.client.post('/join', { 'node-id': b.node.components.peerId.toString(), 'node-address': address }), (err: any) => err.status === 400)
  })

  it('POST /join reads the node an address names from its end, not from a relay before it', async () => {
    const relayed = `${bAddress()}/p2p-circuit/p2p/${a.node.components.peerId.toString()}`
    await assert.rejects(a.client.post('/join', { 'node-id': b.node.components.peerId.toString(), 'node-address': relayed }), (err: any) => {
      assert.equal(err.status, 400)
      assert.match(err.message, new RegExp(`names peer ${a.node.components.peerId.toString()}`))
      return true
    })
  })

  it('POST /join dials the node and adds it to the routing table', async () => {
    const bId = b.node.components.peerId.toString()
    const address = bAddress().replace(/\/p2p\/.*$/, '')
    const joined = await a.client.post<any>('/join', { 'node-id': bId, 'node-address': address })
    assert.equal(joined.joined, true)
    assert.equal(joined['node-id'], bId)
    await until(async () => {
      const { peers } = await a.client.get<any>('/api/v1/peers')
      return peers.some((p: any) => p.peerId === bId && p.inRoutingTable && p.connected)
    }, 10_000, 'B in A\'s routing table')
    const health = await b.anonymous.get<any>('/health-check')
    assert.ok(health['peer-ids'].includes(a.node.components.peerId.toString()))
  })

  it('POST /api/v1/ping measures the round trip to a peer, and 400s on garbage', async () => {
    const { rtt } = await a.client.post<any>('/api/v1/ping', { peer: b.node.components.peerId.toString() })
    assert.equal(typeof rtt, 'number')
    await assert.rejects(a.client.post('/api/v1/ping', { peer: 'not a peer' }), (err: any) => err.status === 400)
    await assert.rejects(a.client.post('/api/v1/ping', {}), (err: any) => err.status === 400)
  })

  it('POST /api/v1/ping falls back to libp2p\'s ping for a peer that is not a paip node', async () => {
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { createHost } = await import('../../src/net/host.js')
    const plain = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
    await plain.start()
    try {
      const { rtt } = await a.client.post<any>('/api/v1/ping', { peer: plain.getMultiaddrs()[0].toString() })
      assert.equal(typeof rtt, 'number')
    } finally {
      await plain.stop()
    }
  })

  it('POST /api/v1/ping to an unreachable peer is 503', async () => {
    await assert.rejects(a.client.post('/api/v1/ping', { peer: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWFWuZzpUE92KfATL4tNVbRnZDKDwcKX9ki88mQa9RyNYk', timeout: 2000 }), (err: any) => err.status === 503 && err.kind === 'unavailable')
  })
})
