import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('catalog: seed 002\'s POST /search answers addresses a client can reach', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []

  before(async () => {
    nodes.push(await startNode({ config: { api: { publicUrl: 'http://node-a.example:9292/' } } }))
    const bootstrap = nodes[0].node.components.host.getMultiaddrs().map(String)
    nodes.push(await startNode({ config: { network: { bootstrap } } }))
    nodes.push(await startNode({ config: { network: { bootstrap } } }))
    await until(async () => nodes.every(n => n.node.components.host.services.dht.routingTable.size >= 2), 30_000, 'the three nodes to know each other')
    for (const [i, n] of nodes.slice(0, 2).entries()) {
      const dir = path.join(n.home, 'digits')
      await fs.mkdir(dir)
      await fs.writeFile(path.join(dir, 'test.csv'), `${i}\n`)
      await n.client.post('/api/v1/datasets', { path: dir, metadata: { name: `digits${i}`, tags: ['#digits'] } })
    }
  })
  after(async () => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) })

  it('answers each holder once: its announced API URL, else an address it listens on', async () => {
    const [a, b, c] = nodes
    let pairs: Array<[string, string]> = []
    await until(async () => {
      const response = await fetch(`${c.url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ['#digits'] }) })
      assert.equal(response.status, 200)
      pairs = (await response.json() as any)['node-addresses']
      return pairs.length >= 2
    }, 60_000, 'both holders to be found from C')
    const byNode = new Map(pairs)
    assert.equal(byNode.size, pairs.length, 'each node once')
    assert.equal(byNode.get(a.node.components.peerId.toString()), 'http://node-a.example:9292')
    const listening = b.node.components.host.getMultiaddrs().map(String)
    assert.ok(listening.includes(byNode.get(b.node.components.peerId.toString()) ?? ''), `${byNode.get(b.node.components.peerId.toString())} is one of ${listening.join(' ')}`)
  })

  it('refuses a node whose api.publicUrl is not an http(s) URL', async () => {
    await assert.rejects(startNode({ config: { api: { publicUrl: 'ftp://x' } } }), /api\.publicUrl/)
  })
})
