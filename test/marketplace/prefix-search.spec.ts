import assert from 'node:assert/strict'
import { runBin } from '../fixtures/bin.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'
import { until } from '../fixtures/wait.js'
import { startMarketGrid } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

const covid = publishedProtocol({
  name: 'covid19_prediction',
  description: 'Forecast pandemic cases, code at https://github.com/example/forecast-model',
  image: '10.151.40.2:5000/research/trainer:1.2',
  role: 'train',
  memoryMB: 1024,
  commands: ['python predict.py']
})

describe('marketplace: prefix search over the network', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let a: TestNode
  let b: TestNode

  before(async () => {
    grid = await startMarketGrid(2)
    ;[a, b] = grid.nodes
    await until(async () => b.node.components.host.services.dht.routingTable.size > 0, 15_000, 'B to join A')
    const response = await a.client.request('/repo/protocol/covid19_prediction.yaml', { method: 'PUT', raw: true, headers: { 'content-type': 'text/yaml' }, body: covid })
    assert.ok(response.ok, await response.text())
  })
  after(async () => {
    await grid?.stop()
  })

  const search = async (word: string): Promise<any[]> => {
    const run = await runBin(['search', word, '--api', b.url, '--json', '--timeout', '3000'])
    assert.equal(run.code, 0, run.stderr)
    return run.json().results
  }

  it('`paip search covid` on another node finds covid19_prediction (through its prefix key: no node has covid)', async () => {
    await until(async () => (await search('covid')).length === 1, 60_000, 'covid19_prediction to be found from B')
    assert.equal((await search('covid')).at(0).name, 'covid19_prediction')
  })

  it('ranks an exact match above a prefix match', async () => {
    const exact = await a.client.request('/repo/protocol/covid.yaml', { method: 'PUT', raw: true, headers: { 'content-type': 'text/yaml' }, body: covid.replace('name: covid19_prediction', 'name: covid').replace('Forecast pandemic cases', 'Covid cases') })
    assert.ok(exact.ok, await exact.text())
    let results: any[] = []
    await until(async () => { results = await search('covid'); return results.length === 2 }, 60_000, 'both protocols to be found from B')
    assert.deepEqual(results.map(r => r.name), ['covid', 'covid19_prediction'])
    assert.deepEqual(results.map(r => r.exact), [1, 0])
  })

  it('finds nothing for the URL and address fragments of its description and image', async () => {
    for (const noise of ['github', 'https', 'com', '151']) {
      const response = await fetch(`${b.url}/repo/search/${noise}?timeout=1500`)
      assert.equal(response.status, 200)
      const answer = await response.json() as any
      assert.deepEqual(answer.results, [], noise)
    }
  })
})
