import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Key } from 'interface-datastore'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('node: persistence across restarts', () => {
  let home: string
  const nodes: TestNode[] = []

  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'paip-persist-')) })
  afterEach(async () => {
    await Promise.allSettled(nodes.splice(0).map(async n => n.stop()))
    await rm(home, { recursive: true, force: true })
  })

  it('keeps its peer ID, admin token, peer store and datastore records in its home', async () => {
    const a = await startNode({ home, keepHome: true })
    nodes.push(a)
    const b = await startNode({ config: { network: { bootstrap: a.node.components.host.getMultiaddrs().map(x => x.toString()) } } })
    nodes.push(b)
    const bId = b.node.components.peerId
    await until(async () => a.node.components.host.services.dht.routingTable.size > 0, 15_000, 'A to learn of B')
    await until(async () => a.node.components.host.peerStore.has(bId), 5_000, 'B in A\'s peer store')
    const peerId = a.node.components.peerId.toString()
    const token = a.client.token
    // a record written through libp2p's datastore, as the DHT stores records
    const datastore = (a.node.components.host as any).components?.datastore
    assert.ok(datastore != null, 'libp2p exposes its datastore')
    await datastore.put(new Key('/paip-test/record'), new TextEncoder().encode('kept'))
    await a.node.stop()

    const again = await startNode({ home, keepHome: true })
    nodes.push(again)
    assert.equal(again.node.components.peerId.toString(), peerId)
    assert.equal(again.client.token, token)
    assert.ok(await again.node.components.host.peerStore.has(bId), 'B is still in the peer store')
    const known = await again.node.components.host.peerStore.get(bId)
    assert.ok(known.addresses.length > 0, 'with its addresses')
    const restored = (again.node.components.host as any).components?.datastore
    assert.equal(new TextDecoder().decode(await restored.get(new Key('/paip-test/record'))), 'kept')
    // with no bootstrap address it finds B again from what it remembered
    await until(async () => again.node.components.host.services.dht.routingTable.size > 0, 15_000, 'A to rejoin B from its stored peers')
  })
})
