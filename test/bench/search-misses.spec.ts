import assert from 'node:assert/strict'
import { countLookups, diagnoseSearch, searchMissReason, traceLookups } from '../../bench/search-misses.js'
import { KEY_NAMESPACES, dhtKey } from '../../src/net/keys.js'
import { startHostGrid } from '../fixtures/hosts.js'
import type { HostGrid } from '../fixtures/hosts.js'

describe('bench: why a marketplace search missed', function () {
  this.timeout(60_000)
  let grid: HostGrid

  before(async () => { grid = await startHostGrid(4, { peers: 3 }) })
  after(async () => { await grid?.stop() })

  it('finds where the provider records are and what the traced lookup asked, and counts the lookups running', async () => {
    const [publisher, , , searcher] = grid.hosts
    const key = dhtKey(KEY_NAMESPACES.protocolKeyword, `miss-${Date.now()}`)
    for await (const _ of publisher.services.dht.provide(key, { signal: AbortSignal.timeout(20_000) })) { /* to its end */ }

    const lookups = countLookups(grid.hosts)
    const { trace, restore } = traceLookups(searcher, key, publisher.peerId)
    let during = 0
    try {
      for await (const event of searcher.services.dht.findProviders(key, { signal: AbortSignal.timeout(20_000) })) {
        if (event.name === 'SEND_QUERY') during = Math.max(during, lookups.sample().other)
      }
    } finally {
      restore()
      lookups.restore()
    }
    assert.equal(during, 1, 'the searcher\'s lookup was counted while it asked peers')
    assert.equal(lookups.sample().other, 0, 'and no more once it ended')
    assert.ok(!Number.isNaN(trace.namedAt), 'the trace saw the publisher named')

    const miss = await diagnoseSearch(grid.hosts, key, searcher, publisher, trace, 2100, 2000, { mean: 150, max: 400, cpu: 2000, lookups: 20, selfLookups: 0 })
    assert.ok(miss.holders >= 1, 'another node holds the publisher\'s provider record')
    assert.equal(miss.timedOut, true)
    assert.ok(miss.asked >= 1)
    const why = searchMissReason([miss], 1000)
    assert.match(why, /^of 1 missed/)
    assert.match(why, /1 named the publisher/)
    assert.match(why, /event loop ran 150 ms late on average \(400 ms at worst\), with 20 DHT lookups running/)
  })
})
