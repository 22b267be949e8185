import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { startGrid } from '../fixtures/grid.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

describe('catalog: seed 002\'s POST /search answers addresses a client can reach', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  const nodes: TestNode[] = []

  before(async () => {
    grid = await startGrid(3, { node: i => i === 0 ? { config: { api: { publicUrl: 'http://node-a.example:9292/' } } } : {}, peers: 2 })
    nodes.push(...grid.nodes)
    for (const [i, n] of nodes.slice(0, 2).entries()) {
      const dir = path.join(n.home, 'digits')
      await fs.mkdir(dir)
      await fs.writeFile(path.join(dir, 'test.csv'), `${i}\n`)
      await n.client.post('/api/v1/datasets', { path: dir, metadata: { name: `digits${i}`, tags: ['#digits'] } })
    }
  })
  after(async () => { await grid?.stop() })

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
