/**
 * Scale simulation: 100, 300, 1,000 and 10,000 (or `PAIP_BENCH_SCALE=...`) paip DHT
 * nodes in this one process on libp2p's memory transport. The network grows in place from one
 * size to the next and is measured at each: lookup success, hops, peers contacted per lookup,
 * per-key store (provide) and get (first provider) time, provider records per node, memory per
 * node; then the reprovide cost of one node's catalogue of 10 and 100 keys (1,000 and 100,000
 * computed from the measured per-key rate; PAIP_BENCH_SCALE_CATALOGUES=10,1000 measures 1,000, about
 * 1 s of CPU per key). 10,000 nodes is tried after 1,000 and, when it would not fit the memory
 * limit or time budget, reported as a projection. Figures stream out as they are measured.
 *
 * What is paip's own and unchanged: kad-dht 16 on paip's protocol (`/paip/kad/1.0.0`) in server
 * mode with the same k (20), alpha and provider lifetimes as `src/net/host.ts`; the store goes
 * through paip's routing service (`createRouting`, src/net/routing.ts: its announcer) and the get
 * through its `providers` lookup, on keys of paip's one key scheme (`dhtKey`).
 *
 * What is cheaper than a daemon's host, because the simulation measures routing, not crypto or
 * housekeeping (all nodes share 2 cores here):
 * - plaintext (`@libp2p/plaintext`) instead of Noise on the memory transport;
 * - no connection monitor (a ping per connection every minute), no identify push, no TCP or
 *   WebSocket listeners, a memory datastore;
 * - joins (PAIP_BENCH_SCALE_JOIN): `prefill` (the default) gives each newcomer the routing table a
 *   settled network would: kad-dht 16's table is a trie of 64 buckets on the first 6 bits of the
 *   kad ID, k = 20 peers each (at most 1,280 peers), so the newcomer gets up to 20 random peers of
 *   every bucket, and every node whose bucket for it has room gets it; each goes into the address
 *   book and through kad-dht's own routing-table code, only without the liveness ping (every node
 *   here is up), and nothing is dialled (lookups open connections as they need them). `dial` is
 *   kad-dht's own join: dial 3 random nodes, one self-query (~1 s of CPU per join at 100 nodes,
 *   so 1,000 nodes would take over 15 min of joining alone).
 * - kad-dht's routing-table refresh (a lookup for a random key per common-prefix length every
 *   5 min, not configurable in kad-dht 16) is stopped, so it runs no lookups of its own under
 *   the measurement; the self-query runs once an hour.
 */
import { createHash } from 'node:crypto'
import os from 'node:os'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { defaultLogger } from '@libp2p/logger'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { plaintext } from '@libp2p/plaintext'
import { MemoryDatastore } from 'datastore-core'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { createLibp2p } from 'libp2p'
import * as C from '../src/net/constants.js'
import { KEY_NAMESPACES, dhtKey } from '../src/net/keys.js'
import { createRouting } from '../src/net/routing.js'
import { describe, profiled } from './profile.js'
import { quantile } from './types.js'
import type { BenchOptions, Figure } from './types.js'
import type { Routing, RoutingHost } from '../src/net/routing.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHTComponents, QueryEvent, SingleKadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { CID } from 'multiformats/cid'

type SimLibp2p = Libp2p<{ identify: Identify, ping: Ping, dht: SingleKadDHT }>

/** One simulated node: its host, datastore, paip routing service, and the traces of its lookups. */
export interface SimNode {
  host: SimLibp2p
  datastore: MemoryDatastore
  routing: Routing
  /** Key (CID string) → the trace its next provide or lookup on this node reports to. */
  traces: Map<string, Trace>
  /** Peers (ID strings) the prefill puts in the routing table without kad-dht's ping. */
  trusted: Set<string>
  /** The first PREFIX_BITS of its kad ID: the bucket it falls in, in every routing table. */
  prefix: number
  /** Per bucket prefix, the peers of that prefix its routing table holds (the prefill's count). */
  held: Uint8Array
}

export interface ScaleOptions {
  /** Network sizes, grown in place in this order. */
  sizes: number[]
  /** Keys stored (each by a random node) and looked up (each from another random node) per size. */
  lookups: number
  /** Stores / lookups run at once. */
  concurrency: number
  /** Nodes joining at once. */
  joinBatch: number
  /**
   * How nodes join: `prefill` puts the peers a settled network's routing tables hold in them
   * directly (see `prefill`); `dial` dials `bootstrapPeers` nodes and runs one self-query.
   */
  join: 'prefill' | 'dial'
  /** Nodes a new node dials to join (`dial`). */
  bootstrapPeers: number
  /** Catalogue sizes re-provided on one node ([] for none). */
  catalogues: number[]
  /** Catalogue sizes reported from the measured per-key rate of the largest one. */
  projectedCatalogues: number[]
  /** Deadline of one store or lookup (ms). */
  lookupTimeout: number
  /** Above this process RSS (bytes) the next size is not attempted. */
  rssLimit: number
  /** Whole-run budget (ms): a size whose joins would not fit is not attempted. */
  budget: number
}

export const DEFAULTS: ScaleOptions = {
  sizes: [100, 300, 1000, 10_000],
  lookups: 100,
  concurrency: 10,
  joinBatch: 20,
  join: 'prefill',
  bootstrapPeers: 3,
  catalogues: [10, 100],
  projectedCatalogues: [1000, 100_000],
  lookupTimeout: 60_000,
  rssLimit: 12 * 2 ** 30,
  budget: 30 * 60_000
}

let simRun = 0

/** A node with the simulation's host (see the file's comment), started, not yet joined. */
export async function createSimNode (name: string): Promise<SimNode> {
  const datastore = new MemoryDatastore()
  const host: SimLibp2p = await createLibp2p({
    datastore,
    start: false,
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [`/memory/${name}`] },
    transports: [memory()],
    connectionEncrypters: [plaintext()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: C.MAX_CONNECTIONS,
      // every memory connection comes from the same "host": the per-IP inbound rate limit would refuse most
      inboundConnectionThreshold: Number.MAX_SAFE_INTEGER
    },
    connectionMonitor: { enabled: false },
    // a 1,000-node join on a loaded machine took over an hour: with the peer store's default
    // (addresses unconfirmed for 1 h expire) the first nodes' addresses were gone before the
    // lookups, which then failed with "no valid addresses" (measured: 111 of 440 failed requests)
    peerStore: { maxAddressAge: 24 * 60 * 60_000 },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: C.PING_MAX_OUTBOUND_STREAMS, maxInboundStreams: C.PING_MAX_INBOUND_STREAMS }),
      dht: kadDHT({
        protocol: C.DHT_PROTOCOL,
        clientMode: false,
        // /memory addresses are neither public nor private: the default mapper drops them
        peerInfoMapper: passthroughMapper,
        // the join runs the one self-query itself (and nothing waits for kad-dht's own first one)
        allowQueryWithZeroPeers: true,
        initialQuerySelfInterval: 60 * 60_000,
        querySelfInterval: 60 * 60_000,
        reprovide: { validity: C.PROVIDE_VALIDITY, interval: C.REPROVIDE_INTERVAL, threshold: C.REPROVIDE_THRESHOLD }
      }) as (components: KadDHTComponents) => SingleKadDHT
    }
  })
  await host.start()
  // the refresh's first round ran at start on an empty table (nothing to ask): no more rounds
  await (host.services.dht as unknown as { routingTableRefresh: { stop: () => Promise<void> } }).routingTableRefresh.stop()
  const traces = new Map<string, Trace>()
  const routing = createRouting({ host: tracedHost(host, traces), logger: defaultLogger() })
  await routing.start()
  // kad-dht pings a new contact before it adds it; the prefill's peers are known to be up
  const trusted = new Set<string>()
  const kb = (host.services.dht.routingTable as unknown as { kb: { verify: (contact: { peerId: PeerId }, options?: unknown) => Promise<boolean> } }).kb
  const verify = kb.verify
  kb.verify = async (contact, options) => trusted.has(contact.peerId.toString()) || await verify(contact, options)
  const kadId = createHash('sha256').update(host.peerId.toMultihash().bytes).digest()
  return { host, datastore, routing, traces, trusted, prefix: kadId[0] >> (8 - PREFIX_BITS), held: new Uint8Array(2 ** PREFIX_BITS) }
}

/** kad-dht 16's routing table: a trie of buckets on the first 6 bits of the kad ID (`prefixLength`), k peers each. */
const PREFIX_BITS = 6
const K = 20

/** `node` learns of `peer` as from a DHT response it checked: address book, then routing table. */
async function learn (node: SimNode, peer: SimNode): Promise<void> {
  const id = peer.host.peerId
  const table = node.host.services.dht.routingTable as unknown as { add: (peer: PeerId) => Promise<void>, size: number }
  // with the tag kad-dht's routing table puts on its peers, so that its own write finds it done
  await node.host.peerStore.merge(id, { multiaddrs: peer.host.getMultiaddrs(), protocols: [C.DHT_PROTOCOL], tags: { [KAD_PEER_TAG]: { value: 1 } } })
  const before = table.size
  node.trusted.add(id.toString())
  try {
    await table.add(id)
  } finally {
    node.trusted.delete(id.toString())
  }
  if (table.size > before) node.held[peer.prefix]++
}

const KAD_PEER_TAG = 'kad-peer'

/**
 * Joins `node` as a settled network knows it: kad-dht 16's routing table keeps up to k (20)
 * peers in each of 64 buckets (the first 6 bits of the kad ID), so the newcomer gets up to k
 * random peers of every bucket, and every node whose bucket for the newcomer has room gets it,
 * as they would after meeting it in lookups. Each is put in the address book and added through
 * kad-dht's own routing table code, only without its liveness ping (every node here is up).
 * Nothing is dialled: connections open when lookups need them.
 */
export async function prefill (node: SimNode, network: SimNode[]): Promise<void> {
  const byPrefix: SimNode[][] = Array.from({ length: 2 ** PREFIX_BITS }, () => [])
  for (const peer of network) byPrefix[peer.prefix].push(peer)
  for (const peers of byPrefix) {
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [peers[i], peers[j]] = [peers[j], peers[i]]
    }
    for (const peer of peers.slice(0, K)) await learn(node, peer)
  }
  for (const peer of network) {
    if (peer.held[node.prefix] < K) await learn(peer, node)
  }
}

/** The host as paip's routing sees it, with each provide's and lookup's events shown to its trace. */
function tracedHost (host: SimLibp2p, traces: Map<string, Trace>): RoutingHost {
  const dht = host.services.dht
  async function * tap (key: CID, events: AsyncIterable<QueryEvent>): AsyncGenerator<QueryEvent> {
    const trace = traces.get(key.toString())
    for await (const event of events) {
      trace?.see(event)
      yield event
    }
  }
  return {
    peerId: host.peerId,
    peerStore: host.peerStore,
    services: {
      dht: {
        routingTable: dht.routingTable,
        provide: (key, options) => tap(key, dht.provide(key, options)),
        findProviders: (key, options) => tap(key, dht.findProviders(key, options)),
        cancelReprovide: async (key, options) => { await dht.cancelReprovide(key, options) }
      }
    }
  }
}

/**
 * What one provide or lookup did, from kad-dht's query events: the peers it sent a message to,
 * the messages, and the hop depth of every peer (1 for one from the node's own routing table,
 * one more than the peer that named it otherwise; 0 for the node itself).
 */
export class Trace {
  private readonly depth = new Map<string, number>()
  private readonly contacted = new Set<string>()
  /** Peers that answered, and those whose request failed (with the first error's message). */
  readonly answered = new Set<string>()
  readonly failed = new Map<string, string>()
  /** ADD_PROVIDER messages answered (a store's records placed). */
  addProviders = 0
  messages = 0
  /** Hops to the peer that first named `expected` as a provider (NaN until one did). */
  hops = NaN

  constructor (private readonly self: PeerId, private readonly expected?: PeerId) {}

  hopsOf (peer: PeerId): number {
    if (peer.equals(this.self)) return 0
    return this.depth.get(peer.toString()) ?? 1
  }

  see (event: QueryEvent): void {
    if (event.name === 'SEND_QUERY') {
      this.messages++
      this.contacted.add(event.to.toString())
      if (!this.depth.has(event.to.toString())) this.depth.set(event.to.toString(), 1)
    } else if (event.name === 'QUERY_ERROR' && event.from != null) {
      if (!this.failed.has(event.from.toString())) this.failed.set(event.from.toString(), String(event.error?.message ?? event.error))
    } else if (event.name === 'PEER_RESPONSE') {
      this.answered.add(event.from.toString())
      if (event.messageName === 'ADD_PROVIDER') this.addProviders++
      const d = this.hopsOf(event.from) + 1
      for (const peer of event.closer) {
        const key = peer.id.toString()
        if ((this.depth.get(key) ?? Infinity) > d) this.depth.set(key, d)
      }
    } else if (event.name === 'PROVIDER' && Number.isNaN(this.hops) && this.expected != null && event.providers.some(p => p.id.equals(this.expected as PeerId))) {
      this.hops = this.hopsOf(event.from)
    }
  }

  peersContacted (): number { return this.contacted.size }
  asked (peer: string): boolean { return this.contacted.has(peer) }
}

export interface OpStats {
  ms: number
  ok: boolean
  hops: number
  contacted: number
  messages: number
  /** The lookup's or store's trace (kept for a missed lookup's diagnosis). */
  trace?: Trace
}

/** Stores a key through paip's routing (the announcer: a kad-dht provide to the k closest nodes). */
export async function store (node: SimNode, key: CID, timeout: number, signal: AbortSignal): Promise<OpStats> {
  const trace = new Trace(node.host.peerId)
  node.traces.set(key.toString(), trace)
  const t0 = performance.now()
  try {
    const { announced } = await node.routing.announce([key], { urgent: true, signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]) })
    return { ms: performance.now() - t0, ok: announced === 1, hops: NaN, contacted: trace.peersContacted(), messages: trace.messages, trace }
  } finally {
    node.traces.delete(key.toString())
  }
}

/** Gets a key's first provider through paip's routing: success when it is `expected`. */
export async function get (node: SimNode, key: CID, expected: PeerId, timeout: number, signal: AbortSignal): Promise<OpStats> {
  const trace = new Trace(node.host.peerId, expected)
  node.traces.set(key.toString(), trace)
  const t0 = performance.now()
  let ok = false
  try {
    for await (const peer of node.routing.providers(key, { timeout, signal })) {
      if (peer.equals(expected)) { ok = true; break }
    }
    return { ms: performance.now() - t0, ok, hops: trace.hops, contacted: trace.peersContacted(), messages: trace.messages, trace }
  } finally {
    node.traces.delete(key.toString())
  }
}

/** Runs `fn(0..count-1)`, `concurrency` at a time; results in order. */
export async function pool<T> (count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
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

/**
 * One node joins: it dials `bootstrapPeers` random nodes already in, waits until its routing
 * table has one of them, and runs one self-query (kad-dht's own join lookup: the nodes closest
 * to it learn of it and it of them).
 */
export async function join (node: SimNode, network: SimNode[], bootstrapPeers: number, signal: AbortSignal): Promise<void> {
  if (network.length === 0) return
  const peers = new Set(Array.from({ length: Math.min(bootstrapPeers, network.length) }, () => pick(network)))
  await Promise.all([...peers].map(async peer => { await node.host.dial(peer.host.getMultiaddrs()[0], { signal }).catch(() => {}) }))
  const dht = node.host.services.dht
  const deadline = Date.now() + 10_000
  while (dht.routingTable.size === 0 && Date.now() < deadline) {
    signal.throwIfAborted()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const query = AbortSignal.any([signal, AbortSignal.timeout(30_000)])
  try {
    for await (const _ of dht.getClosestPeers(node.host.peerId.toMultihash().bytes, { signal: query })) { /* the peers join the table as they answer */ }
  } catch {
    signal.throwIfAborted()
  }
}

/** Grows the network to `size`: batches of new nodes join at once, each through nodes already in. */
export async function grow (network: SimNode[], size: number, options: Pick<ScaleOptions, 'joinBatch' | 'bootstrapPeers' | 'join'>, signal: AbortSignal, progress: (line: string) => void): Promise<void> {
  const run = ++simRun
  let lastLog = performance.now()
  while (network.length < size) {
    signal.throwIfAborted()
    // the first nodes alone, so that the first batches have somewhere to join
    const count = Math.min(network.length < 2 ? 1 : options.joinBatch, size - network.length)
    const existing = [...network]
    const batch = await Promise.all(Array.from({ length: count }, async (_, j) => await createSimNode(`paip-scale-${process.pid}-${run}-${network.length + j}`)))
    if (options.join === 'prefill') {
      // one at a time: each newcomer is known to the ones before it
      for (const node of batch) {
        await prefill(node, network)
        network.push(node)
      }
    } else {
      network.push(...batch)
      await Promise.all(batch.map(async node => { await join(node, existing, options.bootstrapPeers, signal) }))
    }
    if (performance.now() - lastLog > 15_000 || network.length === size) {
      lastLog = performance.now()
      progress(`${network.length} / ${size} nodes joined; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)
    }
  }
}

async function countProviderRecords (node: SimNode): Promise<number> {
  let n = 0
  for await (const _ of node.datastore.queryKeys({ prefix: '/dht/provider' })) n++
  return n
}

export interface SizeStats {
  size: number
  stores: OpStats[]
  gets: OpStats[]
  storeWall: number
  getWall: number
  cpuMs: number
  records: number[]
  misses: Miss[]
}

/** Stores `lookups` fresh keys (each by a random node) and gets each from another random node. */
export async function measure (network: SimNode[], round: string, options: Pick<ScaleOptions, 'lookups' | 'concurrency' | 'lookupTimeout'>, signal: AbortSignal): Promise<SizeStats> {
  const keys = Array.from({ length: options.lookups }, (_, k) => ({ key: dhtKey(KEY_NAMESPACES.datasetTag, `#scale-${round}-${k}`), by: pick(network) }))
  const cpu0 = process.cpuUsage()
  const storeStart = performance.now()
  const stores = await pool(keys.length, options.concurrency, async k => await store(keys[k].by, keys[k].key, options.lookupTimeout, signal))
  const storeWall = performance.now() - storeStart
  const getStart = performance.now()
  const gets = await pool(keys.length, options.concurrency, async k => {
    let from = pick(network)
    while (from === keys[k].by && network.length > 1) from = pick(network)
    return await get(from, keys[k].key, keys[k].by.host.peerId, options.lookupTimeout, signal)
  })
  const getWall = performance.now() - getStart
  const cpu = process.cpuUsage(cpu0)
  const records = await Promise.all(network.map(countProviderRecords))
  const misses: Miss[] = []
  for (let k = 0; k < keys.length; k++) {
    if (!gets[k].ok) misses.push(await diagnose(network, keys[k].key, keys[k].by, stores[k], gets[k], options.lookupTimeout))
  }
  return { size: network.length, stores, gets, storeWall, getWall, cpuMs: (cpu.user + cpu.system) / 1000, records, misses }
}

/** Why one lookup ended without the provider, from the network's state and the two traces. */
export interface Miss {
  /** The lookup ran into its deadline (else kad-dht's paths ended on their own). */
  timedOut: boolean
  ms: number
  /** Nodes other than the storer holding the key's provider record, and how many of them are among the k closest to the key. */
  holders: number
  holdersClosest: number
  /** ADD_PROVIDER answers the store got. */
  stored: number
  /** Holders the lookup sent a request to; of them, those that answered (without naming the provider) and those whose request failed. */
  askedHolders: number
  answeredHolders: number
  failedHolders: number
  /** Of the k nodes closest to the key, how many the lookup asked; its peers contacted; its failed requests, by error. */
  askedClosest: number
  contacted: number
  errors: Map<string, number>
}

export async function diagnose (network: SimNode[], key: CID, by: SimNode, stored: OpStats, got: OpStats, timeout: number): Promise<Miss> {
  const target = createHash('sha256').update(key.multihash.bytes).digest()
  const distance = (node: SimNode): Buffer => {
    const id = createHash('sha256').update(node.host.peerId.toMultihash().bytes).digest()
    return Buffer.from(id.map((b, i) => b ^ target[i]))
  }
  const closest = new Set(network.map(node => ({ node, d: distance(node) })).sort((a, b) => Buffer.compare(a.d, b.d)).slice(0, K).map(x => x.node.host.peerId.toString()))
  const prefix = `/dht/provider/${uint8ArrayToString(key.multihash.bytes, 'base32')}`
  const holders: string[] = []
  for (const node of network) {
    if (node === by) continue
    for await (const _ of node.datastore.queryKeys({ prefix })) { holders.push(node.host.peerId.toString()); break }
  }
  const trace = got.trace as Trace
  const errors = new Map<string, number>()
  for (const message of trace.failed.values()) {
    const kind = message.replace(/[0-9a-zA-Z]{40,}/g, '<id>').slice(0, 80)
    errors.set(kind, (errors.get(kind) ?? 0) + 1)
  }
  const asked = holders.filter(h => trace.asked(h))
  return {
    timedOut: got.ms >= timeout * 0.95,
    ms: got.ms,
    holders: holders.length,
    holdersClosest: holders.filter(h => closest.has(h)).length,
    stored: stored.trace?.addProviders ?? 0,
    askedHolders: asked.length,
    answeredHolders: asked.filter(h => trace.answered.has(h)).length,
    failedHolders: asked.filter(h => trace.failed.has(h)).length,
    askedClosest: [...closest].filter(c => trace.asked(c)).length,
    contacted: trace.peersContacted(),
    errors
  }
}

/** The missed lookups' measured reason, for the figure. */
export function missReason (misses: Miss[]): string {
  const n = misses.length
  const med = (values: number[]): number => quantile(values, 0.5)
  const count = (f: (m: Miss) => boolean): number => misses.filter(f).length
  const errors = new Map<string, number>()
  for (const m of misses) for (const [e, c] of m.errors) errors.set(e, (errors.get(e) ?? 0) + c)
  const topErrors = [...errors].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([e, c]) => `${c}x "${e}"`).join(', ')
  return `of ${n} missed, measured from each lookup's query events and every node's provider records: ${count(m => m.timedOut)} ran into the deadline, ${count(m => !m.timedOut)} ended on their own (no peer left to ask) after ${(med(misses.map(m => m.ms)) / 1000).toFixed(1)} s median; ` +
    `the key's provider record was on ${med(misses.map(m => m.holders))} nodes (median; the store got ${med(misses.map(m => m.stored))} answers), ${med(misses.map(m => m.holdersClosest))} of them among the ${K} nodes closest to the key; ` +
    `${count(m => m.askedHolders === 0)} lookups never asked a holder (asking ${med(misses.map(m => m.askedClosest))} of the ${K} closest, ${med(misses.map(m => m.contacted))} peers in all, median), ` +
    `${count(m => m.answeredHolders > 0)} asked a holder that answered without the provider, ${count(m => m.failedHolders > 0)} asked one whose request failed` +
    (topErrors === '' ? '' : `; failed requests: ${topErrors}`)
}

/** The figures of one size. */
export function sizeFigures (s: SizeStats, options: Pick<ScaleOptions, 'concurrency' | 'lookupTimeout' | 'bootstrapPeers' | 'join'>, joinMs: number, joined: number): Figure[] {
  const { size, stores, gets } = s
  const found = gets.filter(g => g.ok)
  const perKeyCpu = s.cpuMs / (stores.length + gets.length)
  const busy = 100 * s.cpuMs / (s.storeWall + s.getWall)
  const plot = (id: string, series: string): Figure['plot'] => ({ id, series, x: size })
  const rss = process.memoryUsage().rss
  const ms = (v: number): string => v.toFixed(v < 10 ? 1 : 0)
  return [
    { name: `${size} nodes: lookup success`, value: 100 * found.length / gets.length, unit: '%', target: 100, higherIsBetter: true, anchor: 'hivemind DHT at 1,024 peers: 100%', note: `${gets.length} keys, each stored by a random node and looked up from another, first provider within ${options.lookupTimeout / 1000} s`, reason: found.length < gets.length ? `${missReason(s.misses)}; stores that reached no node: ${stores.filter(x => !x.ok).length}; the process was on a CPU ${busy.toFixed(0)}% of the wall time (1-min load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)` : undefined },
    { name: `${size} nodes: hops, median`, value: quantile(found.map(g => g.hops), 0.5), unit: 'hops', anchor: 'IPFS: about 4 hops at 16k peers', note: 'hops to the node that named the provider (1: one in the looking node\'s own routing table)', plot: plot('hops-vs-n', 'paip lookup hops, median') },
    { name: `${size} nodes: hops, p95`, value: quantile(found.map(g => g.hops), 0.95), unit: 'hops', plot: plot('hops-vs-n', 'paip lookup hops, p95') },
    { name: `${size} nodes: peers contacted per lookup, median`, value: quantile(gets.map(g => g.contacted), 0.5), unit: 'peers', anchor: 'js-libp2p on IPFS: about 218 peers per lookup', note: `p95 ${quantile(gets.map(g => g.contacted), 0.95)}; until the first provider; a store contacts ${quantile(stores.map(x => x.contacted), 0.5)} (median) and sends ${quantile(stores.map(x => x.messages), 0.5)} messages` },
    { name: `${size} nodes: store per key, median`, value: quantile(stores.map(x => x.ms), 0.5), unit: 'ms', anchor: 'hivemind at 1,024 peers: 14.9 ms/key', note: `p95 ${ms(quantile(stores.map(x => x.ms), 0.95))} ms; a full provide to the k closest nodes; ${options.concurrency} at once: ${ms(s.storeWall / stores.length)} ms/key of wall time`, plot: plot('latency-vs-n', 'DHT store (provide), median') },
    { name: `${size} nodes: get per key, median`, value: quantile(found.map(g => g.ms), 0.5), unit: 'ms', anchor: 'hivemind at 1,024 peers: 6.6 ms/key', note: `p95 ${ms(quantile(found.map(g => g.ms), 0.95))} ms; until the first provider; ${options.concurrency} at once: ${ms(s.getWall / gets.length)} ms/key of wall time`, plot: plot('latency-vs-n', 'DHT get (first provider), median') },
    { name: `${size} nodes: CPU per key, store or get`, value: perKeyCpu, unit: 'ms', note: `this process's CPU for both ends of every message (plaintext, Yamux, protobuf, kad-dht, paip routing); the process was on a CPU ${busy.toFixed(0)}% of the wall time` },
    { name: `${size} nodes: provider records per node, median`, value: quantile(s.records, 0.5), unit: 'records', note: `max ${Math.max(...s.records)}; ${s.records.reduce((a, b) => a + b, 0)} records on ${size} nodes (each node's own provides included) after storing ${stores.length} keys at this size` },
    { name: `${size} nodes: memory per node`, value: rss / size / 2 ** 20, unit: 'MiB', note: `process RSS ${(rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB` },
    { name: `${size} nodes: join per node`, value: joinMs / Math.max(1, joined), unit: 'ms', note: `${joined} nodes joined in ${(joinMs / 1000).toFixed(0)} s (${options.join === 'prefill' ? 'routing tables prefilled as a settled network\'s, see the bench\'s comment' : `each: dial ${options.bootstrapPeers} nodes, one self-query; in batches at once`}), wall time on this machine` }
  ]
}

export interface ReprovideStats {
  items: number
  ms: number
  messages: number
  failed: number
  cpuMs: number
  /** Connections the reproviding node opened or accepted during the round, and how many it had at its end. */
  connectionsOpened: number
  connections: number
  /** Where the process was on a CPU during the round (sampled profile, by package). */
  profile: string
}

/**
 * A reprovide round of a catalogue of `items` keys on one node: what kad-dht's reprovider does
 * for the keys near expiry, a provide per key (a lookup of the k closest nodes, then ADD_PROVIDER
 * to each), 10 at a time (its REPROVIDE_CONCURRENCY). Measured as those provides.
 */
export async function reprovideRound (node: SimNode, items: number, timeout: number, signal: AbortSignal): Promise<ReprovideStats> {
  const keys = Array.from({ length: items }, (_, k) => dhtKey(KEY_NAMESPACES.datasetName, `catalogue-${items}-${k}`))
  let connectionsOpened = 0
  const opened = (): void => { connectionsOpened++ }
  node.host.addEventListener('connection:open', opened)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const [rounds, summary] = await profiled(async () => await pool(keys.length, C.REPROVIDE_CONCURRENCY, async k => {
    const trace = new Trace(node.host.peerId)
    let ok = false
    try {
      for await (const event of node.host.services.dht.provide(keys[k], { signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]) })) {
        trace.see(event)
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') ok = true
      }
    } catch {
      signal.throwIfAborted()
    }
    return { ok, messages: trace.messages }
  }), PROFILE_INTERVAL_US)
  const cpu = process.cpuUsage(cpu0)
  const ms = performance.now() - t0
  node.host.removeEventListener('connection:open', opened)
  return { items, ms, messages: rounds.reduce((a, r) => a + r.messages, 0), failed: rounds.filter(r => !r.ok).length, cpuMs: (cpu.user + cpu.system) / 1000, connectionsOpened, connections: node.host.getConnections().length, profile: describe(summary, 8) }
}

/** The reprovide round's profile samples every 10 ms (1 ms would slow the round it measures). */
const PROFILE_INTERVAL_US = 10_000

function reprovideFigures (measured: ReprovideStats[], projected: number[], size: number): Figure[] {
  const figures: Figure[] = measured.map(r => ({
    name: `reprovide ${r.items} items on one node of ${size}`,
    value: r.ms / 1000,
    unit: 's',
    note: `${r.messages} messages (${(r.messages / r.items).toFixed(1)} per key), ${(r.cpuMs / r.items).toFixed(0)} ms of CPU per key for the whole process (both ends of every message), ${r.failed} failed; ${C.REPROVIDE_CONCURRENCY} at once as the node's reprovider; the node opened ${r.connectionsOpened} connections (${(r.connectionsOpened / r.items).toFixed(1)} per key) and had ${r.connections} at the end (limit ${C.MAX_CONNECTIONS}); where the process was on a CPU (sampled profile): ${r.profile}; the process was on a CPU ${(100 * r.cpuMs / r.ms).toFixed(0)}% of the wall time (1-min load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
    plot: { id: 'reprovide', series: 'reprovide round, s', x: r.items }
  }))
  const last = measured[measured.length - 1]
  if (last == null) return figures
  for (const items of projected) {
    figures.push({
      name: `reprovide ${items} items on one node of ${size} (computed)`,
      value: last.ms / last.items * items / 1000,
      unit: 's',
      note: `from the measured ${last.items}-item round: ${(last.ms / last.items).toFixed(1)} ms of wall time, ${(last.cpuMs / last.items).toFixed(0)} ms of CPU (this process: every simulated node's side of every message) and ${(last.messages / last.items).toFixed(1)} messages per key: ${(last.messages / last.items * items / 1e6).toFixed(2)} M messages a round, once a day per key (kad-dht re-provides 24 h before the 48 h expiry); **why** linear and CPU-bound here: kad-dht re-provides each key on its own (a lookup of the k closest nodes, then an ADD_PROVIDER to each of them), ${last.items} keys in ${C.REPROVIDE_CONCURRENCY} at a time, with ${(last.connectionsOpened / last.items).toFixed(1)} new connections per key (${last.connections} open at the end, limit ${C.MAX_CONNECTIONS}); the process was on a CPU ${(100 * last.cpuMs / last.ms).toFixed(0)}% of the wall time, so the wall time is this machine's CPU for the whole simulated network, not a network's round trips; where it went: ${last.profile}`,
      plot: { id: 'reprovide', series: 'reprovide round, s', x: items }
    })
  }
  return figures
}

/** Whether the next size fits the memory and time left; a figure saying why not otherwise. */
function cannotGrow (network: SimNode[], size: number, o: ScaleOptions, spent: number, join: { perJoin: number, perPeer: number }): Figure | undefined {
  if (network.length === 0) return undefined
  const rss = process.memoryUsage().rss
  const perNode = rss / network.length
  const projectedRss = perNode * size
  // a prefill join's cost grows with the nodes already in (it meets each): per join, c * n
  const n = network.length
  const joinMs = o.join === 'prefill' ? join.perPeer * (size * size - n * n) / 2 : join.perJoin * (size - n)
  const basis = `measured at ${n} nodes: ${(perNode / 2 ** 20).toFixed(2)} MiB per node and ${(join.perJoin / 1000).toFixed(3)} s per join${o.join === 'prefill' ? ` (${join.perPeer.toFixed(2)} ms per node already in)` : ''} (1-min load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`
  if (projectedRss > o.rssLimit) {
    return { name: `${size} nodes: not run (memory)`, value: projectedRss / 2 ** 30, unit: 'GiB projected', note: `${basis}; over the ${(o.rssLimit / 2 ** 30).toFixed(0)} GiB limit (PAIP_BENCH_SCALE_GIB) on this shared machine; joining would take ${(joinMs / 60_000).toFixed(0)} min more` }
  }
  if (spent + joinMs * 1.5 > o.budget) {
    return { name: `${size} nodes: not run (time)`, value: (spent + joinMs) / 60_000, unit: 'min projected', note: `${basis}; over the ${(o.budget / 60_000).toFixed(0)} min budget (PAIP_BENCH_SCALE_MINUTES); would take ${(projectedRss / 2 ** 30).toFixed(1)} GiB` }
  }
  return undefined
}

/** The options from the environment: PAIP_BENCH_SCALE (sizes), _LOOKUPS, _MINUTES, _GIB, _CATALOGUES, _JOIN. */
export function optionsFromEnv (env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const numbers = (value: string | undefined): number[] | undefined => {
    const list = (value ?? '').split(',').map(Number).filter(n => Number.isFinite(n) && n > 0)
    return list.length > 0 ? list : undefined
  }
  return {
    ...DEFAULTS,
    sizes: numbers(env.PAIP_BENCH_SCALE)?.filter(n => n > 1) ?? DEFAULTS.sizes,
    lookups: numbers(env.PAIP_BENCH_SCALE_LOOKUPS)?.[0] ?? DEFAULTS.lookups,
    budget: (numbers(env.PAIP_BENCH_SCALE_MINUTES)?.[0] ?? DEFAULTS.budget / 60_000) * 60_000,
    rssLimit: (numbers(env.PAIP_BENCH_SCALE_GIB)?.[0] ?? DEFAULTS.rssLimit / 2 ** 30) * 2 ** 30,
    join: env.PAIP_BENCH_SCALE_JOIN === 'dial' ? 'dial' : 'prefill',
    catalogues: env.PAIP_BENCH_SCALE_CATALOGUES === '' ? [] : numbers(env.PAIP_BENCH_SCALE_CATALOGUES) ?? DEFAULTS.catalogues
  }
}

/** Grows the network size by size, measuring each; then the reprovide cost on one node. */
export async function simulate (o: ScaleOptions, options: Pick<BenchOptions, 'signal' | 'log' | 'report'>): Promise<void> {
  const { signal, log, report } = options
  const network: SimNode[] = []
  const started = performance.now()
  let lastJoin = { perJoin: 0, perPeer: 0 }
  // memory connections hold no handle open: a lookup waiting only on (unref'd) timers must not
  // let the process exit under it
  const keepAlive = setInterval(() => {}, 1000)
  try {
    for (const size of o.sizes) {
      signal.throwIfAborted()
      const stop = cannotGrow(network, size, o, performance.now() - started, lastJoin)
      if (stop != null) {
        report(stop)
        break
      }
      const before = network.length
      const t0 = performance.now()
      await grow(network, size, o, signal, log)
      const joinMs = performance.now() - t0
      const joined = Math.max(1, network.length - before)
      // the nodes already in, summed over these joins (a prefill join meets each)
      lastJoin = { perJoin: joinMs / joined, perPeer: joinMs / Math.max(1, (network.length - 1 + before) * joined / 2) }
      const tables = network.map(n => n.host.services.dht.routingTable.size)
      const connections = network.map(n => n.host.getConnections().length)
      log(`${size} nodes up in ${(joinMs / 1000).toFixed(0)} s; routing tables median ${quantile(tables, 0.5)} (min ${Math.min(...tables)}), connections per node median ${quantile(connections, 0.5)}; measuring ${o.lookups} stores and gets...`)
      const stats = await measure(network, `${size}-${Date.now()}`, o, signal)
      for (const m of stats.misses) log(`missed lookup: ${m.timedOut ? 'deadline' : 'ended'} after ${(m.ms / 1000).toFixed(1)} s; record on ${m.holders} nodes (${m.holdersClosest} of the ${K} closest; store placed ${m.stored}); asked ${m.askedHolders} holders (${m.answeredHolders} answered, ${m.failedHolders} failed), ${m.askedClosest} of the ${K} closest, ${m.contacted} peers; errors ${[...m.errors].map(([e, c]) => `${c}x ${e}`).join(', ')}`)
      for (const figure of sizeFigures(stats, o, joinMs, network.length - before)) report(figure)
    }
    const node = network[network.length - 1]
    if (node == null || o.catalogues.length === 0) return
    const rounds: ReprovideStats[] = []
    for (const items of o.catalogues) {
      signal.throwIfAborted()
      log(`reprovide round of ${items} items on one node of ${network.length}...`)
      const round = await reprovideRound(node, items, o.lookupTimeout, signal)
      rounds.push(round)
      report(reprovideFigures([round], [], network.length)[0])
    }
    for (const figure of reprovideFigures(rounds, o.projectedCatalogues, network.length).slice(rounds.length)) report(figure)
  } finally {
    clearInterval(keepAlive)
    log(`stopping ${network.length} nodes...`)
    await pool(network.length, 50, async i => {
      await Promise.resolve(network[i].routing.stop()).catch(() => {})
      await Promise.resolve(network[i].host.stop()).catch(() => {})
    })
  }
}

export async function run (options: Partial<BenchOptions> = {}): Promise<Figure[]> {
  const figures: Figure[] = []
  await simulate(optionsFromEnv(), {
    signal: options.signal ?? new AbortController().signal,
    log: options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) }),
    report: (f: Figure) => { figures.push(f); options.report?.(f) }
  })
  return figures
}
