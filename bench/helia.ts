/**
 * Against helia (js IPFS) in the same run: on the same machine, at the same moment, with the same
 * node counts (10 and 25 by default), the same transport (TCP on 127.0.0.1, Noise, Yamux) and the
 * same kad-dht (one copy of `@libp2p/kad-dht` 16 and `libp2p` 3 in node_modules), K keys are
 * published, one after the other, from nodes in turn, then each is found from another node.
 *
 * - paip: `marketplace.publish` of K protocols (a signed record put in the DHT, provider records
 *   for its keywords; it returns once the name keyword reached a peer, the rest replicates in the
 *   background), then `marketplace.searchRanked([name])` from another node (providers of the
 *   keyword, each asked over /paip/search, records checked) until it lists the protocol.
 * - helia: `helia.blockstore.put` of a raw block, then `helia.routing.provide(cid)` (one provider
 *   record, put on the K closest peers), then `helia.routing.findProviders(cid)` from another node
 *   until the publisher is named. Helia here is the `Helia` class of `@helia/utils` 2 with the
 *   libp2p router of `@helia/routers` 5 (what `createHelia` of helia 6 builds), no block brokers,
 *   on a libp2p configured like helia's defaults on a LAN: its DHT protocol `/ipfs/kad/1.0.0`,
 *   server mode, private addresses kept (the loopback traps of docs/DESIGN: address filter,
 *   client mode, connection limits for 127.0.0.1, set the same way on both sides).
 *
 * For each N both networks are started fresh (the same bootstrap topology) and run at once in this
 * process; their operations take turns key by key, so the load of the (shared) machine at any
 * moment weighs on both alike. The figures are reported side by side with the ratio paip / helia.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { libp2pRouting } from '@helia/routers'
import { Helia } from '@helia/utils'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, removePublicAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { Level } from 'level'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { paipLogger } from '../src/logger.js'
import { createMarketplace, keywordKey, MARKET, protocolRecords } from '../src/marketplace/index.js'
import * as NET from '../src/net/constants.js'
import { createHost } from '../src/net/host.js'
import { dhtRecordOptions } from '../src/net/records.js'
import { createRouting } from '../src/net/routing.js'
import { quantile } from './types.js'
import type { BenchOptions, Figure } from './types.js'
import type { Marketplace } from '../src/marketplace/index.js'
import type { Routing } from '../src/net/routing.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { yaml } from './marketplace.js'

/** Node counts; PAIP_BENCH_HELIA_SIZES=3 for a quick run. */
const SIZES = (process.env.PAIP_BENCH_HELIA_SIZES ?? '10,25').split(',').map(Number).filter(n => n > 1)
/** Keys each side publishes and finds per node count. */
const KEYS = Number(process.env.PAIP_BENCH_HELIA_KEYS ?? 16)
/** One find gives up after this long (ms): counted as not found. */
const FIND_TIMEOUT = 10_000
const RAW = 0x55
const HELIA_DHT_PROTOCOL = '/ipfs/kad/1.0.0'
/** Routing tables must hold this many peers (or every other node) before the keys are published. */
const MIN_TABLE = 3
const TABLE_WAIT = 180_000

/** One side of the comparison: its nodes, how it publishes key `i` and finds it again. */
interface Side {
  name: 'paip' | 'helia'
  /** Every node's DHT routing table size. */
  tables: () => number[]
  publish: (node: number, i: number, signal: AbortSignal) => Promise<void>
  /** True when `node` found key `i` as published by `publisher`. */
  find: (node: number, publisher: number, i: number, signal: AbortSignal) => Promise<boolean>
  /** paip only: the DHT lookup alone (providers of the name keyword), helia's find's equal. */
  providers?: (node: number, publisher: number, i: number, signal: AbortSignal) => Promise<boolean>
  stop: () => Promise<void>
}

/** A keyword made of letters only (the marketplace keeps no all-digit keyword). */
function word (run: string, i: number): string {
  return `key${run}${i.toString(26).split('').map(c => String.fromCharCode(97 + parseInt(c, 26))).join('')}`
}

async function startPaip (count: number, bootstrapOf: number[], run: string): Promise<Side> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-helia-'))
  const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
  await db.open()
  const nodes: Array<{ host: Awaited<ReturnType<typeof createHost>>, routing: Routing, market: Marketplace }> = []
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => { await n.market.stop(); await n.routing.stop(); await n.host.stop() }))
    await db.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < count; i++) {
      const records = protocolRecords()
      const privateKey = await generateKeyPair('Ed25519')
      const host = await createHost({
        privateKey,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: i === 0 ? [] : nodes[bootstrapOf[i]].host.getMultiaddrs().map(String),
        querySelfInterval: 2000,
        ...dhtRecordOptions(records)
      })
      await host.start()
      const sub = db.sublevel(`n${i}`, { valueEncoding: 'json' }) as any
      const routing = createRouting({ host, logger: paipLogger(), db: sub.sublevel('routing', { valueEncoding: 'json' }) })
      await routing.start()
      const market = createMarketplace({ host, routing, privateKey, db: sub, logger: paipLogger() }, { records, republishInterval: 0 })
      await market.start()
      nodes.push({ host, routing, market })
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    name: 'paip',
    tables: () => nodes.map(n => n.host.services.dht.routingTable.size),
    publish: async (node, i, signal) => {
      const name = word(run, i)
      await nodes[node].market.publish({ user: 'bench', file: `${name}.yaml`, content: yaml(name, 'bench') }, { signal })
    },
    find: async (node, publisher, i, signal) => {
      const hits = await nodes[node].market.searchRanked([word(run, i)], { signal })
      const id = nodes[publisher].host.peerId.toString()
      return hits.some(h => h.publisher === id && h.name === `bench/${word(run, i)}`)
    },
    providers: async (node, publisher, i, signal) => {
      const id = nodes[publisher].host.peerId
      for await (const provider of nodes[node].routing.providers(keywordKey(word(run, i)), { signal, timeout: FIND_TIMEOUT })) {
        if (provider.equals(id)) return true
      }
      return false
    },
    stop
  }
}

async function startHelia (count: number, bootstrapOf: number[], run: string): Promise<Side> {
  const nodes: Array<Helia<Libp2p>> = []
  const cids: CID[] = []
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
  }
  try {
    for (let i = 0; i < count; i++) {
      const libp2p = await createLibp2p({
        start: false,
        privateKey: await generateKeyPair('Ed25519'),
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery: i === 0 ? [] : [bootstrap({ list: nodes[bootstrapOf[i]].libp2p.getMultiaddrs().map(String), timeout: 0 })],
        connectionMonitor: { pingInterval: NET.CONNECTION_PING_INTERVAL },
        connectionManager: { maxConnections: NET.MAX_CONNECTIONS, inboundConnectionThreshold: NET.INBOUND_CONNECTION_THRESHOLD, allow: NET.DEFAULT_ALLOW },
        services: {
          identify: identify(),
          ping: ping({ maxOutboundStreams: NET.PING_MAX_OUTBOUND_STREAMS, maxInboundStreams: NET.PING_MAX_INBOUND_STREAMS }),
          dht: kadDHT({ protocol: HELIA_DHT_PROTOCOL, clientMode: false, peerInfoMapper: removePublicAddressesMapper, querySelfInterval: 2000 })
        }
      })
      const helia = new Helia({ libp2p, blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() as any, blockBrokers: [], routers: [libp2pRouting(libp2p)] })
      await helia.start()
      nodes.push(helia)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    name: 'helia',
    tables: () => nodes.map(n => (n.libp2p.services as any).dht.routingTable.size as number),
    publish: async (node, i, signal) => {
      const bytes = new TextEncoder().encode(word(run, i))
      const cid = CID.createV1(RAW, await sha256.digest(bytes))
      cids[i] = cid
      await nodes[node].blockstore.put(cid as any, bytes, { signal })
      await nodes[node].routing.provide(cid as any, { signal })
    },
    find: async (node, publisher, i, signal) => {
      const id: PeerId = nodes[publisher].libp2p.peerId
      for await (const provider of nodes[node].routing.findProviders(cids[i] as any, { signal })) {
        if (provider.id.equals(id)) return true
      }
      return false
    },
    stop
  }
}

/**
 * Waits until every routing table holds a few peers (generous: on a loaded shared machine tables
 * fill slowly); past the deadline it goes on with what the tables hold and says so.
 */
async function waitForTables (side: Side, count: number, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + TABLE_WAIT
  while (!side.tables().every(size => size >= Math.min(count - 1, MIN_TABLE))) {
    signal.throwIfAborted()
    if (Date.now() > deadline) {
      log(`${side.name}: after ${TABLE_WAIT / 1000} s some routing tables hold fewer than ${MIN_TABLE} peers (${side.tables().join(', ')}); measuring anyway`)
      return
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

interface Measured { tables: number[], publish: number[], find: number[], found: number, providers: number[], providersFound: number, keys: number }

type Find = NonNullable<Side['providers']>

/** How long one find takes and whether it found the key; a find gives up after FIND_TIMEOUT. */
async function timedFind (find: Find, finder: number, publisher: number, i: number, signal: AbortSignal): Promise<[number, boolean]> {
  const t0 = performance.now()
  let ok = false
  try {
    ok = await find(finder, publisher, i, AbortSignal.any([signal, AbortSignal.timeout(FIND_TIMEOUT)]))
  } catch (err) {
    signal.throwIfAborted()
    void err
  }
  return [performance.now() - t0, ok]
}

/**
 * Both sides' networks run at once and take turns, key by key (who goes first alternates), so
 * the machine's load at any moment weighs on both alike. Key i is published by node i mod N and
 * searched from the node half-way round; the providers lookup runs from the node before the
 * publisher, so it reuses none of the search's connections (except on 3 nodes).
 */
async function measure (sides: Side[], count: number, keys: number, log: (line: string) => void, signal: AbortSignal): Promise<Map<string, Measured>> {
  await Promise.all(sides.map(async side => { await waitForTables(side, count, log, signal) }))
  const results = new Map(sides.map(side => [side.name as string, { tables: side.tables(), publish: [], find: [], found: 0, providers: [], providersFound: 0, keys } as Measured]))
  const turns = (i: number): Side[] => i % 2 === 0 ? sides : [...sides].reverse()
  for (let i = 0; i < keys; i++) {
    for (const side of turns(i)) {
      const t0 = performance.now()
      await side.publish(i % count, i, signal)
      results.get(side.name)?.publish.push(performance.now() - t0)
    }
  }
  for (let i = 0; i < keys; i++) {
    for (const side of turns(i)) {
      const m = results.get(side.name) as Measured
      const [ms, ok] = await timedFind(side.find, (i + Math.ceil(count / 2)) % count, i % count, i, signal)
      m.find.push(ms)
      if (ok) m.found++
    }
  }
  for (let i = 0; i < keys; i++) {
    for (const side of turns(i)) {
      const m = results.get(side.name) as Measured
      if (side.providers == null) {
        m.providers = m.find
        m.providersFound = m.found
        continue
      }
      const [ms, ok] = await timedFind(side.providers, (i + count - 1) % count, i % count, i, signal)
      m.providers.push(ms)
      if (ok) m.providersFound++
    }
  }
  return results
}

export interface HeliaBenchOptions extends Partial<BenchOptions> {
  sizes?: number[]
  keys?: number
}

export async function run (options: HeliaBenchOptions = {}): Promise<Figure[]> {
  const signal = options.signal ?? new AbortController().signal
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const figures: Figure[] = []
  const report = (f: Figure): void => { figures.push(f); options.report?.(f) }
  const sizes = options.sizes ?? SIZES
  const keys = options.keys ?? KEYS
  for (const [s, count] of sizes.entries()) {
    signal.throwIfAborted()
    // the same bootstrap peer for node i on both sides: the same topology to start from
    const bootstrapOf = Array.from({ length: count }, (_, i) => Math.floor(Math.random() * i))
    const run = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6)
    const order: Array<'paip' | 'helia'> = s % 2 === 0 ? ['paip', 'helia'] : ['helia', 'paip']
    const sides: Side[] = []
    let results: Map<string, Measured>
    try {
      for (const name of order) {
        log(`${name}: starting ${count} nodes...`)
        sides.push(name === 'paip' ? await startPaip(count, bootstrapOf, run) : await startHelia(count, bootstrapOf, run))
      }
      log(`publishing and finding ${keys} keys on both, in turns...`)
      results = await measure(sides, count, keys, log, signal)
    } finally {
      for (const side of sides) await side.stop()
    }
    const paip = results.get('paip') as Measured
    const helia = results.get('helia') as Measured
    const label = `${count} nodes`
    const pp = quantile(paip.publish, 0.5)
    const hp = quantile(helia.publish, 0.5)
    const pf = quantile(paip.find, 0.5)
    const hf = quantile(helia.find, 0.5)
    const tables = (m: Measured): string => `routing tables at the start: smallest ${Math.min(...m.tables)}, median ${quantile(m.tables, 0.5)} peers`
    report({ name: `${label}: paip publish median`, value: pp, unit: 'ms', note: `${keys} protocols, one at a time, from every node in turn (signed record + keyword provider records); ${tables(paip)}` })
    report({ name: `${label}: paip publish p95`, value: quantile(paip.publish, 0.95), unit: 'ms' })
    report({ name: `${label}: helia publish median`, value: hp, unit: 'ms', note: `${keys} blocks: blockstore.put + routing.provide (one provider record); ${tables(helia)}`, plot: { id: 'latency-vs-n', series: 'helia provide median', x: count } })
    report({ name: `${label}: helia publish p95`, value: quantile(helia.publish, 0.95), unit: 'ms' })
    report({ name: `${label}: paip publish median / helia publish median`, value: pp / hp, unit: 'x', note: 'below 1: paip publishes faster' })
    report({ name: `${label}: paip find (search) median`, value: pf, unit: 'ms', note: 'searchRanked([name]) from another node until it lists the protocol' })
    report({ name: `${label}: paip find (search) p95`, value: quantile(paip.find, 0.95), unit: 'ms' })
    // a search ends at its own deadline with what it has: count those that ended there
    const atDeadline = paip.find.filter(ms => ms >= MARKET.SEARCH_TIMEOUT - 50).length
    report({ name: `${label}: paip find (search) success`, value: 100 * paip.found / paip.keys, unit: '%', target: 100, higherIsBetter: true, reason: paip.found === paip.keys ? undefined : `${paip.keys - paip.found} of ${paip.keys} searches missed the protocol; ${atDeadline} ended at the search deadline (${MARKET.SEARCH_TIMEOUT} ms) before its provider answered; 1-minute load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores` })
    const pl = quantile(paip.providers, 0.5)
    report({ name: `${label}: paip find (providers lookup) median`, value: pl, unit: 'ms', note: 'routing.providers(name keyword) from another node until it names the publisher: the DHT lookup of a search alone, the same operation as helia\'s find' })
    report({ name: `${label}: paip find (providers lookup) p95`, value: quantile(paip.providers, 0.95), unit: 'ms' })
    report({ name: `${label}: paip find (providers lookup) success`, value: 100 * paip.providersFound / paip.keys, unit: '%', target: 100, higherIsBetter: true })
    report({ name: `${label}: helia find median`, value: hf, unit: 'ms', note: 'routing.findProviders(cid) from another node until it names the publisher', plot: { id: 'latency-vs-n', series: 'helia find-providers median', x: count } })
    report({ name: `${label}: helia find p95`, value: quantile(helia.find, 0.95), unit: 'ms' })
    report({ name: `${label}: helia find success`, value: 100 * helia.found / helia.keys, unit: '%' })
    report({ name: `${label}: paip search median / helia find median`, value: pf / hf, unit: 'x', note: 'below 1: paip finds faster; a search also asks the providers and checks their signed records' })
    report({ name: `${label}: paip providers lookup median / helia find median`, value: pl / hf, unit: 'x', note: 'the same DHT operation on both sides' })
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await run()) process.stdout.write(`${f.name}: ${f.value.toFixed(1)} ${f.unit}\n`)
}
