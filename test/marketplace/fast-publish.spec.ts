import assert from 'node:assert/strict'
import { keywordKey } from '../../src/marketplace/keys.js'
import { protocolRecords } from '../../src/marketplace/index.js'
import { getRecord } from '../../src/net/records.js'
import { closestInTable, compareDistance, kadId } from '../../src/net/lookup.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml, startMarkets } from './fixtures.js'
import type { MarketNode, Markets } from './fixtures.js'
import type { PeerId } from '@libp2p/interface'

/**
 * Generous: what is awaited here (the background lookups, a pull) takes long on a loaded
 * machine; every wait polls for an outcome and only fails at this deadline.
 */
const FOUND_DEADLINE = 150_000

/** The grid's nodes ordered by their distance to a key, closest first. */
async function closestNodes (nodes: MarketNode[], key: Uint8Array): Promise<MarketNode[]> {
  const target = await kadId(key)
  const ids = await Promise.all(nodes.map(async n => ({ n, kad: await kadId(n.host.peerId.toMultihash().bytes) })))
  return ids.sort((a, b) => compareDistance(target, a.kad, b.kad)).map(x => x.n)
}

/** A node's DHT takes provider records and records, answers as if it stored them, and drops them. */
function makeHostile (node: MarketNode): void {
  const handlers = (node.host.services.dht as any).rpc.handlers
  handlers.ADD_PROVIDER.handle = async () => undefined
  handlers.PUT_VALUE.handle = async (_: PeerId, msg: unknown) => msg
}

/** Leaves only `keep` in a node's routing table, and no other peer gets in while the test runs. */
async function onlyInTable (node: MarketNode, keep: PeerId[]): Promise<void> {
  const dht = node.host.services.dht as any
  dht.routingTable.add = async () => {}
  for (const peer of closestInTable(dht, await kadId(new Uint8Array(0)), 100)) {
    if (!keep.some(k => k.equals(peer))) await dht.routingTable.remove(peer)
  }
  assert.ok(dht.routingTable.size <= keep.length)
}

async function found (searcher: MarketNode, word: string, name: string): Promise<boolean> {
  return (await searcher.market.searchRanked([word])).some(h => h.name === name)
}

/** Polls a pull (it fails while the publisher is slow to serve) until it yields `version`. */
async function pulled (node: MarketNode, ref: string, version: string): Promise<void> {
  let last = ''
  await until(async () => (last = (await node.market.pull(ref)).selected.cid) === version, FOUND_DEADLINE, () => `a pull of ${ref} to yield ${version} (last: ${last})`)
}

describe('marketplace: publishing without waiting for a DHT lookup', function () {
  this.timeout(300_000)
  let net: Markets | undefined
  afterEach(async () => { await net?.stop(); net = undefined })

  it('is found by a searcher when the publisher\'s routing table holds only a few peers far from the name\'s key', async () => {
    net = await startMarkets(10)
    const publisher = net.nodes[9]
    const key = keywordKey('partialtable').multihash.bytes
    // keep the two peers farthest from the key (and no others while it publishes): the
    // publisher knows none of the peers closest to the key
    const known: PeerId[] = closestInTable(publisher.host.services.dht, await kadId(key), 100)
    await onlyInTable(publisher, known.slice(-2))

    const published = await publisher.market.publish({ user: 'alice', file: 'partialtable.yaml', content: protocolYaml('partialtable', 'A table with few peers') })
    for (const searcher of [net.nodes[0], net.nodes[4]]) {
      await until(async () => await found(searcher, 'partialtable', 'alice/partialtable'), FOUND_DEADLINE, 'a search to find the publication')
    }
    await pulled(net.nodes[2], `${publisher.host.peerId}/alice/partialtable`, published.version)
  })

  it('is found when the peers closest to its key acknowledge and drop everything (an acknowledgement means nothing)', async () => {
    net = await startMarkets(10)
    const publisher = net.nodes[0]
    const searcher = net.nodes[1]
    const key = keywordKey('hostileneighbours').multihash.bytes
    const others = (await closestNodes(net.nodes, key)).filter(n => n !== publisher && n !== searcher)
    for (const node of others.slice(0, 3)) makeHostile(node)

    const published = await publisher.market.publish({ user: 'alice', file: 'hostileneighbours.yaml', content: protocolYaml('hostileneighbours', 'Hostile peers close to the key') })
    await until(async () => await found(searcher, 'hostileneighbours', 'alice/hostileneighbours'), FOUND_DEADLINE, 'a search to find the publication')
    await pulled(searcher, `${publisher.host.peerId}/alice/hostileneighbours`, published.version)
  })

  it('is found when the only peers its publisher knows acknowledge and drop everything (the background lookup-based put and provide reach the others)', async () => {
    net = await startMarkets(10)
    const publisher = net.nodes[0]
    const searcher = net.nodes[1]
    const hostile = net.nodes.slice(7)
    for (const node of hostile) makeHostile(node)
    // the publish returns on the hostile peers' acknowledgements alone: only kad-dht's lookups,
    // which go on after it returned, can reach a peer that keeps what it is sent
    await onlyInTable(publisher, hostile.map(n => n.host.peerId))

    const published = await publisher.market.publish({ user: 'alice', file: 'droppedonly.yaml', content: protocolYaml('droppedonly', 'Only hostile peers known') })
    assert.ok(published.stored >= 1, 'the hostile peers acknowledged the record')
    await until(async () => await found(searcher, 'droppedonly', 'alice/droppedonly'), FOUND_DEADLINE, 'a search to find the publication')
    // the record itself, from peers that kept it (the hostile ones answer a get with nothing)
    await until(async () => {
      const record = await getRecord(searcher.host, protocolRecords(), publisher.host.peerId, 'alice/droppedonly').catch(() => undefined)
      return record?.value.version === published.version
    }, FOUND_DEADLINE, 'the record to be got from the DHT')
    await pulled(searcher, `${publisher.host.peerId}/alice/droppedonly`, published.version)
  })

  it('finds every holder of a keyword with a fifth of the grid stopped', async () => {
    net = await startMarkets(10)
    const [a, b, searcher, ...rest] = net.nodes
    await a.market.publish({ user: 'alice', file: 'deadgrid.yaml', content: protocolYaml('deadgrid', 'Alice') })
    await b.market.publish({ user: 'bob', file: 'deadgrid.yaml', content: protocolYaml('deadgrid', 'Bob') })
    for (const node of rest.slice(0, 2)) await node.stop()

    const publishers = new Set([a, b].map(n => n.host.peerId.toString()))
    await until(async () => {
      const seen: string[] = []
      for await (const hit of searcher.market.search(['deadgrid'])) seen.push(hit.publisher)
      return [...publishers].every(p => seen.includes(p))
    }, FOUND_DEADLINE, 'a search to find both publishers')
  })
})
