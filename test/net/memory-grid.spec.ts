import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startGrid } from '../fixtures/grid.js'
import { startHostGrid } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import type { Grid } from '../fixtures/grid.js'
import type { HostGrid } from '../fixtures/hosts.js'

describe('net: grids on the memory transport (the test fixture)', function () {
  this.timeout(30_000)
  let hosts: HostGrid | undefined
  let grid: Grid | undefined
  afterEach(async () => {
    await hosts?.stop()
    await grid?.stop()
    hosts = undefined
    grid = undefined
  })

  it('keeps the /memory addresses peers learn of each other through the DHT, so a node dials one it only heard of', async () => {
    hosts = await startHostGrid(3)
    const [, b, c] = hosts.hosts
    // b and c only dialled the first host: what b knows of c comes from a DHT answer
    let found: string[] = []
    for await (const event of b.services.dht.findPeer(c.peerId, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'FINAL_PEER') found = event.peer.multiaddrs.map(String)
    }
    assert.ok(found.some(a => a.startsWith('/memory/')), `c's addresses as the DHT answers them: ${found.join(' ')}`)
    const connection = await b.dial(c.peerId, { signal: AbortSignal.timeout(10_000) })
    assert.ok(connection.remoteAddr.toString().startsWith('/memory/'))
  })

  it('joins real paip nodes in one process: a dataset added on one is found by tag from another', async () => {
    grid = await startGrid(3, { peers: 2 })
    const [a, , c] = grid.nodes
    const dir = path.join(c.home, 'digits')
    await fs.mkdir(dir)
    await fs.writeFile(path.join(dir, 'test.csv'), '1\n')
    await c.client.post('/api/v1/datasets', { path: dir, metadata: { name: 'digits', tags: ['#digits'] } })
    await until(async () => (await a.node.components.catalog.search('dataset', ['#digits'])).some(r => r.node.peerId === c.node.components.peerId.toString()),
      10_000, 'a to find c\'s dataset')
  })
})
