import assert from 'node:assert/strict'
import { DEFAULTS, optionsFromEnv, simulate } from '../../bench/scale.js'
import type { Figure } from '../../bench/types.js'

describe('bench scale simulation', function () {
  this.timeout(180_000)

  it('grows a small network, finds every stored key and reports every figure of the scale bench', async () => {
    const figures: Figure[] = []
    await simulate({ ...DEFAULTS, sizes: [8, 16], lookups: 8, concurrency: 4, joinBatch: 8, catalogues: [10], projectedCatalogues: [100_000] }, {
      signal: AbortSignal.timeout(170_000),
      log: () => {},
      report: f => { figures.push(f) }
    })
    const value = (name: string): number => {
      const figure = figures.find(f => f.name === name)
      assert.ok(figure != null, `no figure "${name}" in ${figures.map(f => f.name).join(', ')}`)
      return figure.value
    }
    for (const size of [8, 16]) {
      assert.equal(value(`${size} nodes: lookup success`), 100)
      assert.ok(value(`${size} nodes: hops, median`) >= 0)
      assert.ok(value(`${size} nodes: hops, p95`) >= value(`${size} nodes: hops, median`))
      assert.ok(value(`${size} nodes: peers contacted per lookup, median`) >= 0)
      assert.ok(value(`${size} nodes: store per key, median`) > 0)
      assert.ok(value(`${size} nodes: get per key, median`) > 0)
      assert.ok(value(`${size} nodes: provider records per node, median`) >= 0)
      assert.ok(value(`${size} nodes: memory per node`) > 0)
    }
    assert.ok(value('reprovide 10 items on one node of 16') > 0)
    assert.ok(value('reprovide 100000 items on one node of 16 (computed)') > value('reprovide 10 items on one node of 16'))
    // the projection says why a round costs what it does, as measured: connections and a profile
    const why = figures.find(f => f.name === 'reprovide 100000 items on one node of 16 (computed)')?.note ?? ''
    assert.match(why, /new connections per key/)
    assert.match(why, /where it went: .+ \d+%/)
  })

  it('joins by kad-dht\'s own dial and self-query too, and still finds every stored key', async () => {
    const figures: Figure[] = []
    await simulate({ ...DEFAULTS, sizes: [8], lookups: 4, concurrency: 4, joinBatch: 4, join: 'dial', catalogues: [] }, {
      signal: AbortSignal.timeout(170_000),
      log: () => {},
      report: f => { figures.push(f) }
    })
    assert.equal(figures.find(f => f.name === '8 nodes: lookup success')?.value, 100)
  })

  it('reads sizes, lookups, budget, memory limit and catalogues from the environment', () => {
    const o = optionsFromEnv({ PAIP_BENCH_SCALE: '100,1000,x,1', PAIP_BENCH_SCALE_LOOKUPS: '20', PAIP_BENCH_SCALE_MINUTES: '5', PAIP_BENCH_SCALE_GIB: '2', PAIP_BENCH_SCALE_CATALOGUES: '', PAIP_BENCH_SCALE_JOIN: 'dial' })
    assert.deepEqual(o.sizes, [100, 1000])
    assert.equal(o.lookups, 20)
    assert.equal(o.budget, 5 * 60_000)
    assert.equal(o.rssLimit, 2 * 2 ** 30)
    assert.deepEqual(o.catalogues, [])
    assert.equal(o.join, 'dial')
    assert.equal(optionsFromEnv({}).join, 'prefill')
    assert.deepEqual(optionsFromEnv({}).sizes, DEFAULTS.sizes)
  })
})
