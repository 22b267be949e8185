import assert from 'node:assert/strict'
import { startTestbed } from '../../src/testbed/index.js'
import { until } from '../fixtures/wait.js'
import type { Testbed, TestbedNode } from '../../src/testbed/index.js'

async function routingTable (node: TestbedNode): Promise<string[]> {
  const { peers } = await node.client.get<{ peers: Array<{ peerId: string, inRoutingTable: boolean }> }>('/api/v1/peers')
  return peers.filter(p => p.inRoutingTable).map(p => p.peerId)
}

async function everyoneKnowsEveryone (nodes: TestbedNode[]): Promise<boolean> {
  for (const node of nodes) {
    const table = await routingTable(node)
    if (!nodes.every(other => other === node || table.includes(other.peerId))) return false
  }
  return true
}

describe('testbed: five daemon processes on loopback', function () {
  this.timeout(120_000)
  let testbed: Testbed

  before(async () => { testbed = await startTestbed({ nodes: 5 }) })
  after(async () => { await testbed?.stop() })

  it('starts each node in its own home with its own peer ID and API', () => {
    const ids = new Set(testbed.nodes.map(n => n.peerId))
    const homes = new Set(testbed.nodes.map(n => n.home))
    const urls = new Set(testbed.nodes.map(n => n.url))
    assert.equal(ids.size, 5)
    assert.equal(homes.size, 5)
    assert.equal(urls.size, 5)
  })

  it('fills every routing table with every other node', async () => {
    await until(async () => everyoneKnowsEveryone(testbed.nodes), 60_000, 'all five routing tables to hold the other four nodes')
  })

  it('pings one node from another by peer ID', async () => {
    const [, from, , , to] = testbed.nodes
    const result = await from.client.post<{ rtt: number }>('/api/v1/ping', { peer: to.peerId })
    assert.equal(typeof result.rtt, 'number')
    assert.ok(result.rtt >= 0 && result.rtt < 5000)
  })

  it('keeps its peer ID across a restart and rejoins the others', async () => {
    const node = testbed.nodes[2]
    const before = node.peerId
    await node.restart()
    const id = await node.client.get<{ peerId: string }>('/api/v1/id')
    assert.equal(id.peerId, before)
    await until(async () => everyoneKnowsEveryone(testbed.nodes), 60_000, 'the restarted node to be back in every routing table and to know every node')
    const health = await testbed.nodes[0].client.get<any>('/health-check')
    assert.ok(health['peer-ids'].includes(before), 'the bootstrap node is connected to the restarted node')
  })

  it('keeps working after one node is killed with SIGKILL, and its health check shows it gone', async () => {
    const victim = testbed.nodes[3]
    const others = testbed.nodes.filter(n => n !== victim)
    await victim.kill('SIGKILL')
    await until(async () => {
      for (const node of others) {
        const health = await node.client.get<any>('/health-check')
        if (health['peer-ids'].includes(victim.peerId)) return false
      }
      return true
    }, 30_000, 'every other node to drop the killed node')
    for (const node of others) {
      const health = await node.client.get<any>('/health-check')
      assert.equal(health.status, 'ok')
      assert.ok(health.peers >= others.length - 1, `${node.index} still has its peers`)
    }
    const rtt = await others[0].client.post<{ rtt: number }>('/api/v1/ping', { peer: others.at(-1)!.peerId })
    assert.equal(typeof rtt.rtt, 'number')
  })
})
