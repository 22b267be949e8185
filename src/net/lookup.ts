/**
 * What paip reads of kad-dht's lookups: Kademlia distances, the peers closest to a key in the
 * local routing table, and when a lookup has converged.
 *
 * kad-dht 16 runs a provider lookup as disjoint paths (DHT_DISJOINT_PATHS, each asking up to
 * DHT_ALPHA peers at once, closest first) that each end only when no peer they heard of is left
 * to ask, so on a small grid it asks nearly every node and ends with the slowest of them. A lookup has its answer much earlier: once the peers closest to the key that
 * it knows of have all answered (those store the key's provider records), a closer peer can
 * only be named by one of them, and none was.
 */
import { sha256 } from 'multiformats/hashes/sha2'
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'

/** A key's or a peer's position in the DHT's XOR space (kad-dht: sha2-256 of its bytes). */
export async function kadId (bytes: Uint8Array): Promise<Uint8Array> {
  return (await sha256.digest(bytes)).digest
}

/** -1 when `a` is closer to `target` than `b`, 1 when further, 0 when as close. */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = (a[i] ?? 0) ^ (target[i] ?? 0)
    const db = (b[i] ?? 0) ^ (target[i] ?? 0)
    if (da !== db) return da < db ? -1 : 1
  }
  return 0
}

/** The parts of kad-dht 16's routing table read here (not in its typed interface). */
interface KadTable {
  size: number
  kBucketSize?: number
  closestPeers?: (kadId: Uint8Array, options: { count: number }) => PeerId[]
}

/** The `count` peers of the local routing table closest to a key (by kad-dht's own order); [] when unreadable. */
export function closestInTable (dht: unknown, target: Uint8Array, count: number): PeerId[] {
  const table = (dht as { routingTable?: KadTable }).routingTable
  if (typeof table?.closestPeers !== 'function') return []
  try { return table.closestPeers(target, { count }) } catch { return [] }
}

/** kad-dht's replication factor k (20), read from its routing table. */
export function bucketSize (dht: unknown): number {
  const k = (dht as { routingTable?: KadTable }).routingTable?.kBucketSize
  return typeof k === 'number' && k > 0 ? k : 20
}

interface Candidate { kad: Uint8Array, state: 'known' | 'answered' | 'failed', askedAt?: number }

/**
 * Follows one lookup's events and says when it has converged: the `closest` peers nearest to
 * the key among those it knows of (the local routing table's and every peer named as closer,
 * leaving out peers that failed, and peers asked more than `slowAfter` ms ago that have not
 * answered yet) have all answered. A hostile peer can only delay this (by naming peers that do
 * not exist, which fail, or by not answering, which `slowAfter` ends: kad-dht's own deadline
 * of a DHT message is 5 s at least); then the lookup ends as kad-dht's does.
 */
export interface Convergence {
  /** Takes the lookup's next event; true once it has converged. */
  observe: (event: QueryEvent) => Promise<boolean>
  /** True once it has converged (peers asked too long ago have become slow meanwhile). */
  converged: () => boolean
  /** Milliseconds until the next peer asked becomes slow (when to look again); undefined when none is waited for. */
  nextSlow: () => number | undefined
}

export async function convergence (dht: unknown, self: PeerId, key: Uint8Array, closest: number, slowAfter = Infinity): Promise<Convergence> {
  const target = await kadId(key)
  const peers = new Map<string, Candidate>()
  const me = self.toString()
  const know = async (peer: PeerId): Promise<void> => {
    const id = peer.toString()
    if (id === me || peers.has(id)) return
    peers.set(id, { kad: await kadId(peer.toMultihash().bytes), state: 'known' })
  }
  const k = bucketSize(dht)
  for (const peer of closestInTable(dht, target, k)) await know(peer)

  const slow = (p: Candidate, now: number): boolean => p.state === 'known' && p.askedAt != null && now - p.askedAt >= slowAfter
  const converged = (): boolean => {
    const now = Date.now()
    const live = [...peers.values()].filter(p => p.state !== 'failed' && !slow(p, now)).sort((a, b) => compareDistance(target, a.kad, b.kad))
    const nearest = live.slice(0, closest)
    return nearest.length > 0 && nearest.every(p => p.state === 'answered')
  }

  return {
    converged,
    nextSlow () {
      const now = Date.now()
      let next: number | undefined
      for (const p of peers.values()) {
        if (p.state !== 'known' || p.askedAt == null || slow(p, now)) continue
        const left = p.askedAt + slowAfter - now
        if (next == null || left < next) next = left
      }
      return next
    },
    async observe (event) {
      if (event.name === 'DIAL_PEER') {
        // kad-dht is about to ask it (dial if need be, then send): its deadline starts now
        if (event.peer.equals(self)) return false
        await know(event.peer)
        const asked = peers.get(event.peer.toString())
        if (asked != null && asked.askedAt == null) asked.askedAt = Date.now()
        return converged()
      }
      if (event.name === 'PEER_RESPONSE') {
        if (event.from.equals(self)) return false
        // peers without an address cannot be asked: kad-dht skips them too
        // an honest peer names at most k closer peers; more would only cost hashing
        for (const peer of event.closer.slice(0, k)) if (peer.multiaddrs.length > 0) await know(peer.id)
        await know(event.from)
        const answered = peers.get(event.from.toString())
        if (answered != null) answered.state = 'answered'
        return converged()
      }
      if (event.name === 'QUERY_ERROR' && event.from != null && !event.from.equals(self)) {
        await know(event.from)
        const failed = peers.get(event.from.toString())
        if (failed != null && failed.state !== 'answered') failed.state = 'failed'
        return converged()
      }
      return false
    }
  }
}
