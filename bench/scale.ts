/**
 * Scale simulation: 100, 300, 1,000 (and, with `PAIP_BENCH_SCALE=...,10000`, more) paip DHT
 * nodes in this one process on libp2p's memory transport, each with the real stack (Noise,
 * Yamux, identify, ping, kad-dht on paip's protocol in server mode, paip's provider lifetimes).
 * The network grows in place from one size to the next and is measured at each: lookup success,
 * hops, peers contacted per lookup, per-key store (provide) and get (first provider) time,
 * provider records per node; then the reprovide cost of one node's catalogue of 10 and 1,000 keys
 * (100,000 extrapolated from them). Figures stream out as each size is done.
 *
 * What the host leaves out against `src/net/host.ts`: the TCP and WebSocket transports (nothing
 * listens on them here) and libp2p's connection monitor (a ping per connection every 10 s: at
 * 1,000 nodes tens of thousands of pings a minute that would measure the monitor, not the DHT).
 * Everything on the lookup path is the real code.
 */
import os from 'node:os'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { keywordCid } from '../src/net/records.js'
import * as C from '../src/net/constants.js'
import { quantile } from './types.js'
import type { BenchOptions, Figure } from './types.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHTComponents, QueryEvent, SingleKadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { CID } from 'multiformats/cid'

type SimHost = Libp2p<{ identify: Identify, ping: Ping, dht: SingleKadDHT }> & { datastore: MemoryDatastore }

const DEFAULT_SIZES = [100, 300, 1000]
/** Keys provided (each by a random node) and looked up (each from another random node) per size. */
const LOOKUPS = 50
/** Concurrent provides / lookups: what a busy node would run at once. */
const CONCURRENCY = 10
/** Nodes started at once while the network grows. */
const JOIN_BATCH = 25
const BOOTSTRAP_PEERS = 3
const LOOKUP_TIMEOUT = 30_000
/** Above this RSS the next size is not attempted (the machine is shared). */
const RSS_LIMIT = 8 * 2 ** 30

export interface LookupStats {
  ms: number
  ok: boolean
  hops: number
  contacted: number
  messages: number
}

/**
 * One memory-transport node with the real stack; its self-query every 10 min (not kad-dht's
 * 1 s start-up cadence repeated: at this scale that alone saturates the CPU).
 */
export async function createSimHost (i: number, bootstrapList: string[]): Promise<SimHost> {
  const datastore = new MemoryDatastore()
  const host = await createLibp2p({
    datastore,
    start: false,
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [`/memory/paip-scale-${i}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: C.MAX_CONNECTIONS,
      // every memory connection comes from the same "host": the per-IP inbound rate limit would
      // refuse most of them
      inboundConnectionThreshold: Number.MAX_SAFE_INTEGER
    },
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: C.PING_MAX_OUTBOUND_STREAMS, maxInboundStreams: C.PING_MAX_INBOUND_STREAMS }),
      dht: kadDHT({
        protocol: C.DHT_PROTOCOL,
        clientMode: false,
        // /memory addresses are neither public nor private: the default mapper drops them
        peerInfoMapper: passthroughMapper,
        querySelfInterval: 10 * 60_000,
        reprovide: { validity: C.PROVIDE_VALIDITY, interval: C.REPROVIDE_INTERVAL, threshold: C.REPROVIDE_THRESHOLD }
      }) as (components: KadDHTComponents) => SingleKadDHT
    }
  })
  await host.start()
  // @libp2p/bootstrap refuses /memory addresses: dial the bootstrap peers directly
  await Promise.all(bootstrapList.map(async addr => { await host.dial(multiaddr(addr)).catch(() => {}) }))
  return Object.assign(host, { datastore })
}

/** Tracks a query's events: peers contacted, messages sent, and the hop depth of every peer. */
function tracker (): { see: (event: QueryEvent) => void, hopsOf: (peer: PeerId) => number, contacted: () => number, messages: () => number } {
  const depth = new Map<string, number>()
  const contacted = new Set<string>()
  let messages = 0
  const hopsOf = (peer: PeerId): number => depth.get(peer.toString()) ?? 1
  return {
    see (event) {
      if (event.name === 'SEND_QUERY') {
        messages++
        contacted.add(event.to.toString())
        if (!depth.has(event.to.toString())) depth.set(event.to.toString(), 1)
      } else if (event.name === 'PEER_RESPONSE') {
        const d = hopsOf(event.from) + 1
        for (const peer of event.closer) {
          const key = peer.id.toString()
          if ((depth.get(key) ?? Infinity) > d) depth.set(key, d)
        }
      }
    },
    hopsOf,
    contacted: () => contacted.size,
    messages: () => messages
  }
}

async function provide (host: SimHost, key: CID, signal: AbortSignal): Promise<LookupStats> {
  const t = tracker()
  const t0 = performance.now()
  let ok = false
  try {
    for await (const event of host.services.dht.provide(key, { signal: AbortSignal.any([signal, AbortSignal.timeout(LOOKUP_TIMEOUT)]) })) {
      t.see(event)
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') ok = true
    }
  } catch {}
  return { ms: performance.now() - t0, ok, hops: NaN, contacted: t.contacted(), messages: t.messages() }
}

/** Finds the first provider of `key`: success when it is `expected`; hops to the peer that named it. */
async function lookup (host: SimHost, key: CID, expected: PeerId, signal: AbortSignal): Promise<LookupStats> {
  const t = tracker()
  const controller = new AbortController()
  const t0 = performance.now()
  let ok = false
  let hops = NaN
  try {
    for await (const event of host.services.dht.findProviders(key, { signal: AbortSignal.any([signal, controller.signal, AbortSignal.timeout(LOOKUP_TIMEOUT)]) })) {
      t.see(event)
      if (event.name === 'PROVIDER' && event.providers.some(p => p.id.equals(expected))) {
        ok = true
        hops = t.hopsOf(event.from)
        controller.abort()
        break
      }
    }
  } catch {}
  return { ms: performance.now() - t0, ok, hops, contacted: t.contacted(), messages: t.messages() }
}

async function pool<T> (count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++
      out[i] = await fn(i)
    }
  }))
  return out
}

function pick<T> (items: T[]): T { return items[Math.floor(Math.random() * items.length)] }

async function countProviderRecords (host: SimHost): Promise<number> {
  let n = 0
  for await (const _ of host.datastore.queryKeys({ prefix: '/dht/provider' })) n++
  return n
}

export async function run (options: Partial<BenchOptions> = {}): Promise<Figure[]> {
  const signal = options.signal ?? new AbortController().signal
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const figures: Figure[] = []
  const report = (f: Figure): void => { figures.push(f); options.report?.(f) }
  const sizes = (process.env.PAIP_BENCH_SCALE ?? '').split(',').map(Number).filter(n => n > 1)
  const hosts: SimHost[] = []
  let round = 0
  let joinSpent = 0
  const benchStart = performance.now()
  // memory connections hold no handle open: a lookup waiting only on (unref'd) timeouts must not
  // let the process exit under it
  const keepAlive = setInterval(() => {}, 1000)
  try {
    for (const size of sizes.length > 0 ? sizes : DEFAULT_SIZES) {
      signal.throwIfAborted()
      const budget = Number(process.env.PAIP_BENCH_SCALE_MINUTES ?? 30) * 60_000
      const spent = performance.now() - benchStart
      const perNode = hosts.length === 0 ? 0 : joinSpent / hosts.length
      if (hosts.length > 0 && spent + perNode * (size - hosts.length) * 1.5 > budget) {
        log(`${size} nodes: not attempted, joining would take about ${(perNode * (size - hosts.length) / 60_000).toFixed(0)} min more at ${(perNode / 1000).toFixed(2)} s per node (budget ${budget / 60_000} min, PAIP_BENCH_SCALE_MINUTES)`)
        report({ name: `${size} nodes: not run in the time budget`, value: perNode * size / 60_000, unit: 'min to join, projected', target: budget / 60_000, reason: `joining took ${(perNode / 1000).toFixed(2)} s per node at ${hosts.length} nodes (each join: a self-query and a table refresh, i.e. Noise handshakes with every peer contacted); 1-min load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores while it ran` })
        break
      }
      const rss = process.memoryUsage().rss
      const projected = hosts.length === 0 ? 0 : rss / hosts.length * size
      if (projected > RSS_LIMIT) {
        log(`${size} nodes: not attempted, would take about ${(projected / 2 ** 30).toFixed(1)} GiB (limit ${RSS_LIMIT / 2 ** 30} GiB on this shared machine)`)
        report({ name: `${size} nodes: not run`, value: projected / 2 ** 20, unit: 'MiB projected', note: `${(rss / hosts.length / 2 ** 20).toFixed(1)} MiB per node measured at ${hosts.length} nodes` })
        break
      }
      const joinStart = performance.now()
      while (hosts.length < size) {
        // the first node alone, then batches that each join through nodes already up
        const batch = hosts.length === 0 ? 1 : Math.min(JOIN_BATCH, size - hosts.length)
        const started = await Promise.all(Array.from({ length: batch }, async (_, j) => {
          const i = hosts.length + j
          const peers = hosts.length === 0 ? [] : Array.from({ length: BOOTSTRAP_PEERS }, () => pick(hosts))
          return await createSimHost(i, [...new Set(peers.flatMap(h => h.getMultiaddrs().map(String)))])
        }))
        hosts.push(...started)
        signal.throwIfAborted()
        // let the batch's self-queries and table refreshes run before the next batch joins
        const deadline = Date.now() + 10_000
        while (Date.now() < deadline && started.some(h => h.services.dht.routingTable.size < Math.min(5, hosts.length - 1))) {
          await new Promise(resolve => setTimeout(resolve, 50))
        }
      }
      const joinMs = performance.now() - joinStart
      joinSpent += joinMs
      const tables = hosts.map(h => h.services.dht.routingTable.size)
      log(`${size} nodes up in ${(joinMs / 1000).toFixed(0)} s; routing tables median ${quantile(tables, 0.5)}, min ${Math.min(...tables)}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)

      // store: LOOKUPS fresh keys, each provided by a random node
      round++
      const keys = Array.from({ length: LOOKUPS }, (_, k) => ({ key: keywordCid('datasets', `scale${round}k${k}`), by: pick(hosts) }))
      const cpu0 = process.cpuUsage()
      const storeStart = performance.now()
      const stores = await pool(keys.length, CONCURRENCY, async k => await provide(keys[k].by, keys[k].key, signal))
      const storeWall = performance.now() - storeStart
      // get: each key from another random node
      const getStart = performance.now()
      const gets = await pool(keys.length, CONCURRENCY, async k => {
        let from = pick(hosts)
        while (from === keys[k].by) from = pick(hosts)
        return await lookup(from, keys[k].key, keys[k].by.peerId, signal)
      })
      const getWall = performance.now() - getStart
      const cpu = process.cpuUsage(cpu0)
      const found = gets.filter(g => g.ok)
      const records = await Promise.all(hosts.map(countProviderRecords))
      const plot = (id: string, series: string): Figure['plot'] => ({ id, series, x: size })
      report({ name: `${size} nodes: lookup success`, value: 100 * found.length / gets.length, unit: '%', target: 100, higherIsBetter: true, anchor: 'hivemind DHT at 1,024 peers: 100%', note: `${LOOKUPS} keys, first provider within ${LOOKUP_TIMEOUT / 1000} s`, reason: found.length < gets.length ? `${gets.length - found.length} lookups ended without the provider; stores that reached no peer: ${stores.filter(s => !s.ok).length}; this process was on a CPU ${(100 * (cpu.user + cpu.system) / 1000 / (storeWall + getWall)).toFixed(0)}% of the time (1-min load average ${os.loadavg()[0].toFixed(0)} on ${os.cpus().length} cores), so RPCs hit kad-dht's timeouts while waiting for a CPU` : undefined })
      report({ name: `${size} nodes: hops, median`, value: quantile(found.map(g => g.hops), 0.5), unit: 'hops', anchor: 'IPFS: about 4 hops at 16k peers', plot: plot('hops-vs-n', 'paip lookup hops, median') })
      report({ name: `${size} nodes: hops, p95`, value: quantile(found.map(g => g.hops), 0.95), unit: 'hops', plot: plot('hops-vs-n', 'paip lookup hops, p95') })
      report({ name: `${size} nodes: peers contacted per lookup, median`, value: quantile(gets.map(g => g.contacted), 0.5), unit: 'peers', anchor: 'js-libp2p on IPFS: about 218 peers per lookup', note: `p95 ${quantile(gets.map(g => g.contacted), 0.95)}; a store contacts ${quantile(stores.map(s => s.contacted), 0.5)} (median)` })
      report({ name: `${size} nodes: store (provide) per key, median`, value: quantile(stores.map(s => s.ms), 0.5), unit: 'ms', anchor: 'hivemind at 1,024 peers: 14.9 ms/key', note: `p95 ${quantile(stores.map(s => s.ms), 0.95).toFixed(0)} ms; ${CONCURRENCY} at once: ${(storeWall / LOOKUPS).toFixed(1)} ms/key of wall time`, plot: plot('latency-vs-n', 'DHT store (provide), median') })
      report({ name: `${size} nodes: get (first provider) per key, median`, value: quantile(found.map(g => g.ms), 0.5), unit: 'ms', anchor: 'hivemind at 1,024 peers: 6.6 ms/key', note: `p95 ${quantile(found.map(g => g.ms), 0.95).toFixed(0)} ms; ${CONCURRENCY} at once: ${(getWall / LOOKUPS).toFixed(1)} ms/key of wall time`, plot: plot('latency-vs-n', 'DHT get (first provider), median') })
      report({ name: `${size} nodes: CPU per key, store + get`, value: (cpu.user + cpu.system) / 1000 / LOOKUPS, unit: 'ms', note: 'this process\'s CPU (both ends of every message: Noise, Yamux, protobuf, kad-dht); fair on a shared machine' })
      report({ name: `${size} nodes: provider records per node`, value: quantile(records, 0.5), unit: 'records', note: `median; max ${Math.max(...records)}; ${records.reduce((a, b) => a + b, 0)} in all for ${round * LOOKUPS} keys so far` })
      report({ name: `${size} nodes: memory per node`, value: process.memoryUsage().rss / hosts.length / 2 ** 20, unit: 'MiB', note: `process RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; join took ${(joinMs / 1000).toFixed(0)} s` })
    }

    // reprovide cost against catalogue size, on one node of the largest network
    const node = hosts[hosts.length - 1]
    const perKey: Array<{ items: number, ms: number, messages: number }> = []
    for (const items of [10, 1000]) {
      signal.throwIfAborted()
      const keys = Array.from({ length: items }, (_, k) => keywordCid('datasets', `catalogue${items}i${k}`))
      await pool(keys.length, CONCURRENCY, async k => await provide(node, keys[k], signal))
      // a reprovide round: every key again, as the catalog's announcer does each interval
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      const again = await pool(keys.length, CONCURRENCY, async k => await provide(node, keys[k], signal))
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const messages = again.reduce((a, s) => a + s.messages, 0)
      perKey.push({ items, ms: ms / items, messages: messages / items })
      report({ name: `reprovide ${items} items on one node of ${hosts.length}`, value: ms / 1000, unit: 's', note: `${messages} messages (${(messages / items).toFixed(0)} per key), ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU s for the whole process, ${again.filter(s => !s.ok).length} failed; ${CONCURRENCY} at once`, plot: { id: 'reprovide', series: 'reprovide round, s', x: items } })
    }
    const last = perKey[perKey.length - 1]
    report({ name: `reprovide 100000 items on one node of ${hosts.length} (extrapolated)`, value: last.ms * 100_000 / 1000, unit: 's', note: `from the 1,000-item round: ${last.ms.toFixed(1)} ms and ${last.messages.toFixed(0)} messages per key, ${CONCURRENCY} at once (each key is an independent lookup + ADD_PROVIDER, so the cost is linear); ${(last.messages * 100_000 / 1e6).toFixed(1)} M messages per round`, plot: { id: 'reprovide', series: 'reprovide round, s', x: 100_000 } })
  } finally {
    clearInterval(keepAlive)
    log(`stopping ${hosts.length} nodes...`)
    await pool(hosts.length, 50, async i => { await Promise.resolve(hosts[i].stop()).catch(() => {}) })
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await run()) process.stdout.write(`${f.name}: ${f.value.toFixed(1)} ${f.unit}${f.note == null ? "" : `  (${f.note})`}\n`)
}
