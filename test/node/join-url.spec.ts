import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('node: seed 002\'s POST /join with an HTTP URL', function () {
  this.timeout(60_000)
  let a: TestNode
  let b: TestNode
  before(async () => {
    a = await startNode()
    b = await startNode()
  })
  after(async () => {
    await b?.stop()
    await a?.stop()
  })

  const join = async (body: unknown, token?: string): Promise<{ status: number, json: any }> => {
    const response = await fetch(`${b.url}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token == null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body)
    })
    return { status: response.status, json: await response.json() }
  }

  it('joins the node at the URL in the seed\'s own body shape', async () => {
    const id = a.node.components.peerId.toString()
    const { status, json } = await join({ 'node-id': id, 'node-address': a.url }, b.client.token)
    assert.equal(status, 200, JSON.stringify(json))
    assert.equal(json['node-id'], id)
    assert.match(json['node-address'], new RegExp(`/p2p/${id}$`))
    await until(() => b.node.components.host.getConnections(a.node.components.peerId).length > 0, 10_000, 'B connected to A')
  })

  it('refuses a URL whose node is not node-id, one that is no paip node, and an anonymous caller (saying the admin is needed)', async () => {
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const wrong = await join({ 'node-id': other, 'node-address': a.url }, b.client.token)
    assert.equal(wrong.status, 400, JSON.stringify(wrong.json))
    assert.match(wrong.json.error.message, /is 12D3KooW\w+, not node-id/)
    const nobody = await join({ 'node-id': a.node.components.peerId.toString(), 'node-address': 'http://127.0.0.1:1' }, b.client.token)
    assert.equal(nobody.status, 503, JSON.stringify(nobody.json))
    assert.match(nobody.json.error.message, /is it a paip node/)
    const anonymous = await join({ 'node-id': a.node.components.peerId.toString(), 'node-address': a.url })
    assert.equal(anonymous.status, 401)
    assert.match(anonymous.json.error.message, /only the node's admin may make it join/)
  })
})
