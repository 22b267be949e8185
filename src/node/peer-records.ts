/**
 * libp2p's datastore with the peer store's records (keys under `/peers/`) kept in memory.
 *
 * Why: libp2p 3 merges a stream's protocol into the peer store on every stream it opens or
 * accepts, and the store stamps each save with the time, so every stream rewrote the peer's
 * whole record in LevelDB: a quarter of the CPU of a busy test grid, and most of an idle
 * daemon's peer-store time. Here those records are read once from the datastore below, served
 * from memory, and the changed ones written back every `flushInterval` and when the node stops.
 * A crash loses at most that long of peer-store updates (addresses, protocols, tags the grid
 * hands out again); every other key (DHT records, provider records) goes straight through.
 *
 * At most `maxRecords` peers are held: a hostile peer naming endless made-up peers (in DHT
 * answers, which kad-dht merges into the peer store) would otherwise grow the memory without
 * end. Past the cap, the records of peers not held go straight to the datastore below and are
 * read from it, as without this layer.
 */
import { BaseDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { NotFoundError } from 'interface-store'
import type { AbortOptions } from '@libp2p/interface'
import type { Batch, Datastore, KeyQuery, Pair, Query } from 'interface-datastore'

const PEERS = '/peers/'

/** How often changed peer records are written to the datastore below (ms). */
export const PEER_RECORDS_FLUSH_INTERVAL = 30_000

/** Most peer records held in memory (a few hundred bytes each); a grid node knows far fewer peers. */
export const PEER_RECORDS_IN_MEMORY = 10_000

export interface PeerRecordsDatastore extends Datastore {
  /** Writes the changed peer records now. */
  flush: (options?: AbortOptions) => Promise<void>
  /** Stops the flush timer after a last flush. */
  close: () => Promise<void>
  /** Peer records held in memory now (deletions not yet written included). */
  readonly held: number
}

const isPeer = (key: Key): boolean => key.toString().startsWith(PEERS)
const touchesPeers = (prefix?: string): boolean => prefix == null || PEERS.startsWith(prefix) || prefix.startsWith(PEERS)

class PeerRecords extends BaseDatastore implements PeerRecordsDatastore {
  /** Every peer record, once loaded; undefined marks one deleted since the last flush. */
  private records?: Map<string, Uint8Array | undefined>
  private loading?: Promise<Map<string, Uint8Array | undefined>>
  private readonly dirty = new Set<string>()
  private readonly timer: ReturnType<typeof setInterval>
  private flushing: Promise<void> = Promise.resolve()
  /** Some peer records are only below (more than the cap were known). */
  private overflow = false

  constructor (private readonly inner: Datastore, flushInterval: number, private readonly maxRecords: number) {
    super()
    this.timer = setInterval(() => { void this.flush().catch(() => {}) }, flushInterval)
    this.timer.unref()
  }

  private async all (options?: AbortOptions): Promise<Map<string, Uint8Array | undefined>> {
    if (this.records != null) return this.records
    this.loading ??= (async () => {
      const records = new Map<string, Uint8Array | undefined>()
      for await (const { key, value } of this.inner.query({ prefix: PEERS }, options)) {
        if (records.size >= this.maxRecords) { this.overflow = true; break }
        records.set(key.toString(), value)
      }
      this.records = records
      return records
    })()
    try {
      return await this.loading
    } catch (err) {
      this.loading = undefined
      throw err
    }
  }

  /** True when `key` is a peer record this layer answers for from memory (else the datastore below does). */
  private async inMemory (key: Key, options?: AbortOptions): Promise<boolean> {
    if (!isPeer(key)) return false
    const records = await this.all(options)
    return records.has(key.toString()) || !this.overflow
  }

  get held (): number { return this.records?.size ?? 0 }

  async put (key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    if (!isPeer(key)) return await this.inner.put(key, value, options)
    const records = await this.all(options)
    if (!records.has(key.toString()) && records.size >= this.maxRecords) {
      this.overflow = true
      return await this.inner.put(key, value, options)
    }
    records.set(key.toString(), value)
    this.dirty.add(key.toString())
    return key
  }

  async get (key: Key, options?: AbortOptions): Promise<Uint8Array> {
    if (!await this.inMemory(key, options)) return await this.inner.get(key, options)
    const value = this.records?.get(key.toString())
    if (value == null) throw new NotFoundError(`no peer record ${key.toString()}`)
    return value
  }

  async has (key: Key, options?: AbortOptions): Promise<boolean> {
    if (!await this.inMemory(key, options)) return await this.inner.has(key, options)
    return this.records?.get(key.toString()) != null
  }

  async delete (key: Key, options?: AbortOptions): Promise<void> {
    if (!await this.inMemory(key, options)) { await this.inner.delete(key, options); return }
    const records = this.records as Map<string, Uint8Array | undefined>
    if (!records.has(key.toString())) return
    records.set(key.toString(), undefined)
    this.dirty.add(key.toString())
  }

  /** A key of the datastore below that a query yields: not a peer record held in memory (those come from memory). */
  private fromBelow (key: Key): boolean {
    return !isPeer(key) || (this.overflow && this.records?.has(key.toString()) !== true)
  }

  batch (): Batch {
    const inner = this.inner.batch()
    const peers: Array<() => Promise<unknown>> = []
    return {
      put: (key, value) => { if (isPeer(key)) peers.push(async () => await this.put(key, value)); else inner.put(key, value) },
      delete: (key) => { if (isPeer(key)) peers.push(async () => { await this.delete(key) }); else inner.delete(key) },
      commit: async (options) => {
        await inner.commit(options)
        for (const op of peers.splice(0)) await op()
      }
    }
  }

  async * _all (q: Query, options?: AbortOptions): AsyncGenerator<Pair> {
    if (touchesPeers(q.prefix)) {
      for (const [key, value] of await this.all(options)) if (value != null) yield { key: new Key(key), value }
    }
    for await (const pair of this.inner.query({ prefix: q.prefix }, options)) if (this.fromBelow(pair.key)) yield pair
  }

  async * _allKeys (q: KeyQuery, options?: AbortOptions): AsyncGenerator<Key> {
    if (touchesPeers(q.prefix)) {
      for (const [key, value] of await this.all(options)) if (value != null) yield new Key(key)
    }
    for await (const key of this.inner.queryKeys({ prefix: q.prefix }, options)) if (this.fromBelow(key)) yield key
  }

  async flush (options?: AbortOptions): Promise<void> {
    // one flush at a time, in order: a later one writes what changed meanwhile
    this.flushing = this.flushing.catch(() => {}).then(async () => {
      if (this.records == null || this.dirty.size === 0) return
      const batch = this.inner.batch()
      const keys = [...this.dirty]
      this.dirty.clear()
      for (const key of keys) {
        const value = this.records.get(key)
        if (value == null) batch.delete(new Key(key)); else batch.put(new Key(key), value)
      }
      try {
        await batch.commit(options)
      } catch (err) {
        for (const key of keys) this.dirty.add(key) // written next time
        throw err
      }
      for (const key of keys) if (this.records.get(key) === undefined && !this.dirty.has(key)) this.records.delete(key)
    })
    await this.flushing
  }

  async close (): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}

/** `inner` with the peer store's records (at most `maxRecords`) kept in memory and written back in the background. */
export function peerRecordsInMemory (inner: Datastore, flushInterval = PEER_RECORDS_FLUSH_INTERVAL, maxRecords = PEER_RECORDS_IN_MEMORY): PeerRecordsDatastore {
  return new PeerRecords(inner, flushInterval, maxRecords)
}
