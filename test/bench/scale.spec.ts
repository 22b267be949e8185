import assert from 'node:assert/strict'
import { DEFAULTS, diagnose, get, grow, missReason, optionsFromEnv, simulate, store } from '../../bench/scale.js'
import { KEY_NAMESPACES, dhtKey } from '../../src/net/keys.js'
import type { SimNode } from '../../bench/scale.js'
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

  it('says why a lookup missed: on which nodes the key\'s provider records were, which of them and of the closest nodes the lookup asked, how it ended', async () => {
    const signal = AbortSignal.timeout(170_000)
    const network: SimNode[] = []
    try {
      await grow(network, 8, { joinBatch: 8, bootstrapPeers: 3, join: 'prefill' }, signal, () => {})
      const key = dhtKey(KEY_NAMESPACES.datasetTag, '#scale-miss')
      const by = network[0]
      const stored = await store(by, key, 30_000, signal)
      assert.ok(stored.ok)
      // every node forgets the record, the provider its own too: the lookup can only miss
      for (const node of network) for await (const k of node.datastore.queryKeys({ prefix: '/dht/provider' })) await node.datastore.delete(k)
      const got = await get(network[1], key, by.host.peerId, 30_000, signal)
      assert.equal(got.ok, false)
      const miss = await diagnose(network, key, by, stored, got, 30_000)
      assert.equal(miss.holders, 0)
      assert.equal(miss.timedOut, false)
      assert.ok(miss.stored > 0, 'the store placed records')
      assert.ok(miss.askedClosest > 0, 'the lookup asked some of the closest nodes')
      assert.match(missReason([miss]), /^of 1 missed, .*0 ran into the deadline, 1 ended on their own .*provider record was on 0 nodes/)
    } finally {
      for (const node of network) {
        await Promise.resolve(node.routing.stop()).catch(() => {})
        await Promise.resolve(node.host.stop()).catch(() => {})
      }
    }
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
