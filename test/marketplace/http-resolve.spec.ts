import assert from 'node:assert/strict'
import { until } from '../fixtures/wait.js'
import { protocolYaml, startMarketGrid } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

describe('marketplace: GET /repo/protocol/<name> on a node that does not hold it', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let a: TestNode
  let b: TestNode

  before(async () => {
    grid = await startMarketGrid(2)
    ;[a, b] = grid.nodes
    await until(async () => b.node.components.host.services.dht.routingTable.size > 0, 15_000, 'B to join A')
    const response = await a.client.request('/repo/protocol/mnist.yaml', { method: 'PUT', raw: true, headers: { 'content-type': 'text/yaml' }, body: protocolYaml('mnist', 'Handwritten digits') })
    assert.ok(response.ok, await response.text())
  })
  after(async () => {
    await grid?.stop()
  })

  it('resolves it through the network and answers its content, by name and by file name', async () => {
    const publisher = a.node.components.peerId.toString()
    let response: Response | undefined
    await until(async () => { response = await fetch(`${b.url}/repo/protocol/mnist`); return response.status === 200 }, 60_000, 'B to resolve mnist')
    assert.match(await response!.text(), /Handwritten digits/)
    assert.equal(response!.headers.get('x-paip-publisher'), publisher)
    const byFile = await fetch(`${b.url}/repo/protocol/mnist.yaml?publisher=${publisher}`)
    assert.equal(byFile.status, 200)
    assert.match(await byFile.text(), /name: mnist/)
  })

  it('still answers 404 for a protocol the grid does not have', async () => {
    const response = await fetch(`${b.url}/repo/protocol/no-such-protocol`)
    assert.equal(response.status, 404)
    assert.equal((await response.json() as any).error.kind, 'not-found')
  })
})
