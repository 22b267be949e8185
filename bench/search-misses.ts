/**
 * Why a marketplace search right after a publish missed the protocol, measured rather than
 * guessed: where the keyword's provider records were at the end of the search (every node's
 * kad-dht provider store) and what the search's lookup of that keyword did (kad-dht's query
 * events, read by wrapping the searching node's `findProviders` for the search's duration).
 */
import os from 'node:os'
import { compareDistance, kadId } from '../src/net/lookup.js'
import { LOOKUP_CONVERGED_PEERS } from '../src/net/constants.js'
import { quantile } from './types.js'
import type { Host } from '../src/net/host.js'
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'
import type { CID } from 'multiformats/cid'

/** One lookup of the traced key: whom it asked, who answered or failed, when `expected` was named. */
export class KeyTrace {
  readonly asked = new Set<string>()
  readonly answered = new Set<string>()
  readonly failed = new Set<string>()
  /** ms after the trace began that a PROVIDER event first named the expected provider (NaN: never). */
  namedAt = NaN
  private readonly start = performance.now()

  constructor (private readonly expected: PeerId) {}

  see (event: QueryEvent): void {
    if (event.name === 'SEND_QUERY') this.asked.add(event.to.toString())
    else if (event.name === 'PEER_RESPONSE') this.answered.add(event.from.toString())
    else if (event.name === 'QUERY_ERROR' && event.from != null) this.failed.add(event.from.toString())
    else if (event.name === 'PROVIDER' && Number.isNaN(this.namedAt) && event.providers.some(p => p.id.equals(this.expected))) {
      this.namedAt = performance.now() - this.start
    }
  }
}

interface FindProviders { findProviders: (key: CID, options?: any) => AsyncIterable<QueryEvent> }

/** Traces the lookups of `key` that `host` starts until the returned function is called. */
export function traceLookups (host: Host, key: CID, expected: PeerId): { trace: KeyTrace, restore: () => void } {
  const dht = host.services.dht as unknown as FindProviders
  const original = dht.findProviders
  const trace = new KeyTrace(expected)
  dht.findProviders = async function * (k: CID, options?: any) {
    for await (const event of original.call(dht, k, options)) {
      if (k.equals(key)) trace.see(event)
      yield event
    }
  }
  return { trace, restore: () => { dht.findProviders = original } }
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
  /** The process during the search: event-loop delay (ms, mean and max), CPU time (ms), DHT lookups running besides the search's (mean; self-lookups apart). */
  load: { mean: number, max: number, cpu: number, lookups: number, selfLookups: number }
}

/** Diagnoses one missed search of `key` (published by `publisher`) from the network's state and the trace. */
export async function diagnoseSearch (alive: Host[], key: CID, publisher: Host, trace: KeyTrace, ms: number, timeout: number, load: SearchMiss['load']): Promise<SearchMiss> {
  const target = await kadId(key.multihash.bytes)
  const ids = await Promise.all(alive.map(async host => ({ host, kad: await kadId(host.peerId.toMultihash().bytes) })))
  const closest = new Set(ids.sort((a, b) => compareDistance(target, a.kad, b.kad)).slice(0, LOOKUP_CONVERGED_PEERS).map(x => x.host.peerId.toString()))
  const holders: string[] = []
  for (const host of alive) {
    if (host === publisher) continue
    const providers: PeerId[] = await (host.services.dht as any).providers.getProviders(key).catch(() => [])
    if (providers.some(p => p.equals(publisher.peerId))) holders.push(host.peerId.toString())
  }
  const asked = holders.filter(h => trace.asked.has(h))
  return {
    ms,
    timedOut: ms >= timeout * 0.95,
    holders: holders.length,
    holdersClosest: holders.filter(h => closest.has(h)).length,
    asked: trace.asked.size,
    askedHolders: asked.length,
    answeredHolders: asked.filter(h => trace.answered.has(h)).length,
    failedHolders: asked.filter(h => trace.failed.has(h)).length,
    askedClosest: [...closest].filter(c => trace.asked.has(c)).length,
    namedAt: trace.namedAt,
    load
  }
}

export function describeMiss (m: SearchMiss): string {
  return `${m.timedOut ? 'deadline' : 'ended'} after ${m.ms.toFixed(0)} ms; record on ${m.holders} nodes (${m.holdersClosest} of the ${LOOKUP_CONVERGED_PEERS} closest); ` +
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
      `the lookup asked ${med(m => m.asked)} peers, ${med(m => m.askedClosest)} of the closest; ${count(m => Number.isNaN(m.namedAt) && m.askedHolders === 0)} never asked a holder, ` +
      `${count(m => Number.isNaN(m.namedAt) && m.answeredHolders > 0)} asked one that answered without it, ${count(m => Number.isNaN(m.namedAt) && m.failedHolders > 0)} one whose request failed`)
  }
  const all = (f: (m: SearchMiss) => number): string => quantile(misses.map(f), 0.5).toFixed(0)
  parts.push(`during the missed searches this one process (every node of the bench) used ${all(m => m.load.cpu)} ms of CPU per search (median, in ${all(m => m.ms)} ms of wall time), ` +
    `its event loop ran ${all(m => m.load.mean)} ms late on average (${all(m => m.load.max)} ms at worst), with ${all(m => m.load.lookups)} DHT lookups running at once (median, self-lookups apart: ` +
    'the search\'s own two at most, the rest the publications\' background lookup-based puts and provides, nothing else runs then), so the DHT\'s and the publisher\'s answers came after the deadlines: ' +
    `every node's background work shares the ${os.cpus().length} cores of this one process here, where one node's lookups would run on its own CPU`)
  return parts.join('; ')
}
