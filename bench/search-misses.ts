/**
 * Why a marketplace search right after a publish missed the protocol, measured rather than
 * guessed: where the keyword's provider records were at the end of the search (every node's
 * kad-dht provider store) and what the search's lookup of that keyword did (kad-dht's query
 * events, read by wrapping the searching node's `findProviders` for the search's duration): when
 * it started, read the node's own provider records, yielded and asked first, how long the
 * searching node's peer store kept it waiting, and how many lookups shared the process meanwhile.
 */
import os from 'node:os'
import { compareDistance, kadId } from '../src/net/lookup.js'
import { LOOKUP_CONVERGED_PEERS } from '../src/net/constants.js'
import { Trace } from './scale.js'
import { quantile } from './types.js'
import type { Host } from '../src/net/host.js'
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'
import type { CID } from 'multiformats/cid'

/**
 * One lookup of the traced key (bench/scale.ts's Trace: whom it asked, who answered or failed),
 * with its timeline: when it started, yielded and asked first, when `expected` was named.
 */
export class KeyTrace extends Trace {
  /** ms after the trace began that a PROVIDER event first named the expected provider (NaN: never). */
  namedAt = NaN
  /** ms after the trace began that the lookup started, yielded its first event, sent its first request (NaN: never). */
  startedAt = NaN
  firstEventAt = NaN
  firstRequestAt = NaN
  /** ms the lookup's read of the node's own provider records took (NaN: not read). */
  localReadMs = NaN
  /** The searching node's peer store meanwhile: its longest read (ms), and the writes made to it. */
  peerStoreReadMs = 0
  peerStoreWrites = 0
  private readonly start = performance.now()

  constructor (self: PeerId, private readonly expectedProvider: PeerId) {
    super(self, expectedProvider)
  }

  started (): void { if (Number.isNaN(this.startedAt)) this.startedAt = performance.now() - this.start }

  see (event: QueryEvent): void {
    super.see(event)
    const now = performance.now() - this.start
    if (Number.isNaN(this.firstEventAt)) this.firstEventAt = now
    if (event.name === 'SEND_QUERY' && Number.isNaN(this.firstRequestAt)) this.firstRequestAt = now
    if (event.name === 'PROVIDER' && Number.isNaN(this.namedAt) && event.providers.some(p => p.id.equals(this.expectedProvider))) this.namedAt = now
  }
}

interface FindProviders { findProviders: (key: CID, options?: any) => AsyncIterable<QueryEvent> }

/** Traces the lookups of `key` that `host` starts until the returned function is called. */
export function traceLookups (host: Host, key: CID, expected: PeerId): { trace: KeyTrace, restore: () => void } {
  const dht = host.services.dht as unknown as FindProviders & { providers?: { getProviders: (key: CID, options?: any) => Promise<PeerId[]> } }
  const original = dht.findProviders
  const trace = new KeyTrace(host.peerId, expected)
  const local = dht.providers
  const getProviders = local?.getProviders
  if (local != null && getProviders != null) {
    local.getProviders = async (k, options) => {
      const t0 = performance.now()
      try { return await getProviders.call(local, k, options) } finally { if (k.equals(key) && Number.isNaN(trace.localReadMs)) trace.localReadMs = performance.now() - t0 }
    }
  }
  dht.findProviders = async function * (k: CID, options?: any) {
    if (k.equals(key)) trace.started()
    for await (const event of original.call(dht, k, options)) {
      if (k.equals(key)) trace.see(event)
      yield event
    }
  }
  const store = host.peerStore as unknown as Record<'get' | 'merge' | 'patch' | 'save', (...args: any[]) => Promise<unknown>>
  const originals = { get: store.get, merge: store.merge, patch: store.patch, save: store.save }
  store.get = async (...args) => {
    const t0 = performance.now()
    try { return await originals.get.apply(store, args) } finally { trace.peerStoreReadMs = Math.max(trace.peerStoreReadMs, performance.now() - t0) }
  }
  for (const name of ['merge', 'patch', 'save'] as const) {
    store[name] = async (...args) => { trace.peerStoreWrites++; return await originals[name].apply(store, args) }
  }
  return {
    trace,
    restore: () => {
      dht.findProviders = original
      if (local != null && getProviders != null) local.getProviders = getProviders
      Object.assign(store, originals)
    }
  }
}

interface QueryManager { run: (key: Uint8Array, query: unknown, options?: { isSelfQuery?: boolean }) => AsyncIterable<unknown> }

/**
 * Counts the DHT lookups running in this process (every node's kad-dht query manager: its
 * self-lookups apart), sampled while a search runs: what the search's lookup shares the CPU with.
 */
export function countLookups (hosts: Host[]): { sample: () => { self: number, other: number }, restore: () => void } {
  const running = { self: 0, other: 0 }
  const restores = hosts.map(host => {
    const manager = (host.services.dht as unknown as { queryManager?: QueryManager }).queryManager
    if (manager == null) return () => {}
    const original = manager.run
    manager.run = async function * (key, query, options) {
      const kind = options?.isSelfQuery === true ? 'self' : 'other'
      running[kind]++
      try { yield * original.call(manager, key, query, options) } finally { running[kind]-- }
    }
    return () => { manager.run = original }
  })
  return { sample: () => ({ ...running }), restore: () => { for (const restore of restores) restore() } }
}

export interface SearchMiss {
  ms: number
  /** The search ran into its deadline. */
  timedOut: boolean
  /** Live nodes other than the publisher holding its provider record of the keyword, and how many of them are among the LOOKUP_CONVERGED_PEERS live nodes closest to the key. */
  holders: number
  holdersClosest: number
  /** Peers the lookup asked; holders it asked, of them those that answered and those that failed. */
  asked: number
  askedHolders: number
  answeredHolders: number
  failedHolders: number
  /** Of the LOOKUP_CONVERGED_PEERS live nodes closest to the key, how many the lookup asked. */
  askedClosest: number
  /** When the lookup named the publisher (NaN: never): then the publisher's own answer was missing. */
  namedAt: number
  /** When the lookup started, yielded its first event and sent its first request; how long its read of the local provider records took (ms, NaN: never). */
  startedAt: number
  firstEventAt: number
  firstRequestAt: number
  localReadMs: number
  /** The searching node's longest peer-store read during the search (ms), and the writes made to its peer store meanwhile. */
  peerStoreReadMs: number
  peerStoreWrites: number
  /** Peers in the searching node's routing table, and connections it has, at the end of the search. */
  table: number
  connections: number
  /** The process during the search: event-loop delay (ms, mean and max), CPU time (ms), DHT lookups running besides the search's (mean; self-lookups apart). */
  load: { mean: number, max: number, cpu: number, lookups: number, selfLookups: number }
}

/** Diagnoses one missed search of `key` (published by `publisher`) from the network's state and the trace. */
export async function diagnoseSearch (alive: Host[], key: CID, searcher: Host, publisher: Host, trace: KeyTrace, ms: number, timeout: number, load: SearchMiss['load']): Promise<SearchMiss> {
  const target = await kadId(key.multihash.bytes)
  const ids = await Promise.all(alive.map(async host => ({ host, kad: await kadId(host.peerId.toMultihash().bytes) })))
  const closest = new Set(ids.sort((a, b) => compareDistance(target, a.kad, b.kad)).slice(0, LOOKUP_CONVERGED_PEERS).map(x => x.host.peerId.toString()))
  const holders: string[] = []
  for (const host of alive) {
    if (host === publisher) continue
    const providers: PeerId[] = await (host.services.dht as any).providers.getProviders(key).catch(() => [])
    if (providers.some(p => p.equals(publisher.peerId))) holders.push(host.peerId.toString())
  }
  const asked = holders.filter(h => trace.asked(h))
  return {
    ms,
    timedOut: ms >= timeout * 0.95,
    holders: holders.length,
    holdersClosest: holders.filter(h => closest.has(h)).length,
    asked: trace.peersContacted(),
    askedHolders: asked.length,
    answeredHolders: asked.filter(h => trace.answered.has(h)).length,
    failedHolders: asked.filter(h => trace.failed.has(h)).length,
    askedClosest: [...closest].filter(c => trace.asked(c)).length,
    namedAt: trace.namedAt,
    startedAt: trace.startedAt,
    firstEventAt: trace.firstEventAt,
    firstRequestAt: trace.firstRequestAt,
    localReadMs: trace.localReadMs,
    peerStoreReadMs: trace.peerStoreReadMs,
    peerStoreWrites: trace.peerStoreWrites,
    table: searcher.services.dht.routingTable.size,
    connections: searcher.getConnections().length,
    load
  }
}

export function describeMiss (m: SearchMiss): string {
  const at = (ms: number): string => Number.isNaN(ms) ? 'never' : `${ms.toFixed(0)} ms`
  return `${m.timedOut ? 'deadline' : 'ended'} after ${m.ms.toFixed(0)} ms; lookup started at ${at(m.startedAt)} (local provider read ${at(m.localReadMs)}), first event at ${at(m.firstEventAt)}, first request at ${at(m.firstRequestAt)}; the searcher's routing table ${m.table} peers, ${m.connections} connections, its peer store's longest read ${m.peerStoreReadMs.toFixed(0)} ms with ${m.peerStoreWrites} writes meanwhile; record on ${m.holders} nodes (${m.holdersClosest} of the ${LOOKUP_CONVERGED_PEERS} closest); ` +
    `lookup asked ${m.asked} peers (${m.askedClosest} of the ${LOOKUP_CONVERGED_PEERS} closest, ${m.askedHolders} holders: ${m.answeredHolders} answered, ${m.failedHolders} failed); ` +
    (Number.isNaN(m.namedAt) ? 'publisher never named' : `publisher named after ${m.namedAt.toFixed(0)} ms, its answer missing`) +
    `; event loop delay ${m.load.mean.toFixed(0)} ms mean, ${m.load.max.toFixed(0)} ms max; CPU ${m.load.cpu.toFixed(0)} ms; ${m.load.lookups.toFixed(1)} lookups and ${m.load.selfLookups.toFixed(1)} self-lookups running (mean)`
}

/** The missed searches' measured reason, for the success figure. */
export function searchMissReason (misses: SearchMiss[], peerTimeout: number): string {
  const count = (f: (m: SearchMiss) => boolean): number => misses.filter(f).length
  const named = misses.filter(m => !Number.isNaN(m.namedAt))
  const unnamed = misses.filter(m => Number.isNaN(m.namedAt))
  const parts = [`of ${misses.length} missed, measured from each search's lookup events, every node's provider records and the process's event loop`]
  if (named.length > 0) {
    parts.push(`${named.length} named the publisher (after ${quantile(named.map(m => m.namedAt), 0.5).toFixed(0)} ms median) whose answer did not come in time (${count(m => !Number.isNaN(m.namedAt) && m.timedOut)} at the search's deadline; a peer gets ${peerTimeout} ms, more on a first contact)`)
  }
  if (unnamed.length > 0) {
    const med = (f: (m: SearchMiss) => number): string => quantile(unnamed.map(f), 0.5).toFixed(0)
    parts.push(`${unnamed.length} never named it: the keyword's record was on ${med(m => m.holders)} nodes (median), ${med(m => m.holdersClosest)} of them among the ${LOOKUP_CONVERGED_PEERS} live nodes closest to the key; ` +
      `the lookup asked ${med(m => m.asked)} peers, ${med(m => m.askedClosest)} of the closest; ${count(m => Number.isNaN(m.namedAt) && m.asked === 0)} sent no request at all before the deadline, ` +
      `${count(m => Number.isNaN(m.namedAt) && m.asked > 0 && m.askedHolders === 0)} never asked a holder, ` +
      `${count(m => Number.isNaN(m.namedAt) && m.answeredHolders > 0)} asked one that answered without it, ${count(m => Number.isNaN(m.namedAt) && m.failedHolders > 0)} one whose request failed`)
  }
  const all = (f: (m: SearchMiss) => number): string => quantile(misses.map(f), 0.5).toFixed(0)
  const stuck = misses.filter(m => m.peerStoreReadMs >= m.ms / 2)
  if (stuck.length > 0) {
    const med = (f: (m: SearchMiss) => number): string => quantile(stuck.map(f), 0.5).toFixed(0)
    parts.push(`${stuck.length} spent half the search or more in one read of the searching node's peer store (${med(m => m.peerStoreReadMs)} ms median, ` +
      `${med(m => m.peerStoreWrites)} writes made to that store meanwhile: libp2p rewrites a peer's record on every stream with it, and kad-dht reads the record of each provider ` +
      'the node itself holds before its lookup yields or asks anything; the store\'s per-peer lock, mortice, ends each read phase on a 1 ms timer, which fires an event-loop delay late, so each read queued behind writes waits that delay again)')
  }
  parts.push(`during the missed searches this one process (every node of the bench) used ${all(m => m.load.cpu)} ms of CPU per search (median, in ${all(m => m.ms)} ms of wall time), ` +
    `its event loop ran ${all(m => m.load.mean)} ms late on average (${all(m => m.load.max)} ms at worst), with ${all(m => m.load.lookups)} DHT lookups running at once (median, self-lookups apart: ` +
    'the search\'s own two at most, the rest the publications\' background lookup-based puts and provides, nothing else runs then), so the DHT\'s and the publisher\'s answers came after the deadlines: ' +
    `every node's background work shares the ${os.cpus().length} cores of this one process here, where one node's lookups would run on its own CPU`)
  return parts.join('; ')
}
