import assert from 'node:assert/strict'
import { startMarkets, protocolYaml } from './fixtures.js'
import { until } from '../fixtures/wait.js'
import type { Markets } from './fixtures.js'

describe('marketplace: six nodes', function () {
  this.timeout(120_000)
  let net: Markets | undefined
  afterEach(async () => { await net?.stop(); net = undefined })

  it('A publishes; F finds it by keyword and pulls it; with A stopped, B (which never held it) pulls it from the nodes that pulled before', async () => {
    net = await startMarkets(6)
    const [A, B, , , E, F] = net.nodes
    const published = await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'Handwritten digits with PyTorch'), message: 'first' })
    assert.equal(published.name, 'alice/mnist', 'a user\'s protocol is named <user>/<name>')
    assert.equal(published.user, 'alice')
    assert.equal(published.versions, 1)
    assert.ok(published.keywords.includes('pytorch'))

    const hits = await F.market.searchRanked(['PyTorch', 'digits'])
    assert.equal(hits[0]?.name, 'alice/mnist')
    assert.equal(hits[0].user, 'alice')
    assert.equal(hits[0].publisher, A.host.peerId.toString())
    assert.equal(hits[0].description, 'Handwritten digits with PyTorch')

    const pulled = await F.market.pull(`${A.host.peerId}/mnist`)
    assert.equal(pulled.selected.cid, published.version)
    assert.match(new TextDecoder().decode(pulled.selected.contentBytes), /name: mnist/)

    // E pulls by bare name, then A goes away; B (never held it) pulls from E or F
    const byName = await E.market.pull('mnist')
    assert.equal(byName.selected.cid, published.version)
    await A.stop()
    const again = await B.market.pull(`${A.host.peerId}/mnist`)
    assert.equal(again.selected.cid, published.version)
    // the pullers announce what they pulled in the background: polled, with a deadline
    let holders = 0
    await until(async () => {
      holders = (await B.market.searchRanked(['mnist']))[0]?.holders.length ?? 0
      return holders >= 2
    }, 30_000, () => `the pullers to answer searches for it (holders: ${holders})`)
  })

  it('keeps two publishers of the same name distinct, and pulls the later version next', async () => {
    net = await startMarkets(6)
    const [A, B, C, , , F] = net.nodes
    await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'Alice digits') })
    await B.market.publish({ user: 'bob', file: 'mnist.yaml', content: protocolYaml('mnist', 'Bob digits') })
    const hits = await F.market.searchRanked(['mnist'])
    assert.deepEqual(new Set(hits.map(h => h.publisher)), new Set([A.host.peerId.toString(), B.host.peerId.toString()]))
    await assert.rejects(F.market.pull('mnist'), { name: 'AmbiguousNameError' })
    const bob = await F.market.pull(`${B.host.peerId}/mnist`)
    assert.match(new TextDecoder().decode(bob.selected.contentBytes), /Bob digits/)

    const v2 = await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'Alice digits', '--epochs 2'), message: 'more epochs' })
    assert.equal(v2.versions, 2)
    const next = await C.market.pull(`${A.host.peerId}/mnist`)
    assert.equal(next.selected.cid, v2.version)
    assert.equal(next.versions.length, 2)
    assert.equal(next.versions[0].message, 'more epochs')
    const first = await C.market.pull(`${A.host.peerId}/mnist`, { version: 1 })
    assert.doesNotMatch(new TextDecoder().decode(first.selected.contentBytes), /epochs/)
    const byCid = await F.market.pull(v2.version)
    assert.equal(byCid.selected.cid, v2.version)
    assert.equal(byCid.versions.length, 2)
  })
})
