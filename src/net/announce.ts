/**
 * Announcing keys on the DHT (provider records), a few at a time, urgent ones first.
 *
 * kad-dht 16 keeps every key this node provides in its datastore (`/dht/provider/<key>/<self>`,
 * persistent on a node: datastore-level) and re-provides it from there before it expires,
 * also after a restart (its reprovider scans the datastore every `reprovide.interval`). So
 * nothing here re-announces on a schedule. What kad-dht does not do is retry a provide that
 * reached no peer (a node alone, a network down): it would only try again a day later. Such
 * keys are kept here, in the database when one is given (so a restart does not forget them),
 * and announced again as soon as the DHT has peers, with a growing pause between tries.
 */
import { CID } from 'multiformats/cid'
import { limiter } from './channel.js'
import type { Limiter } from './channel.js'
import { canSendDirect, firstAcks, lookupGate, provideDirect } from './direct.js'
import { pause } from '../time.js'
import * as C from './constants.js'
import type { RoutingHost } from './types.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Where keys waiting for a peer are kept (a level sublevel fits). */
export interface PendingDb {
  put(key: string, value: any): Promise<void>
  del(key: string): Promise<void>
  keys(options: { gte: string, lt: string }): AsyncIterable<string>
}

export interface AnnounceOptions extends AbortOptions {
  /** Start at once, not queued behind background announcements (what makes a publication findable). */
  urgent?: boolean
  /**
   * Resolve for a key once this many peers stored its provider record; the provide goes on in
   * the background for the other closest peers. Default: when the provide ended.
   */
  enough?: number
  /**
   * With `enough`: send the provider records at once to the DIRECT_PROVIDE_PEERS closest peers
   * of the routing table and resolve on their acknowledgements; kad-dht's lookup-based provide
   * of the keys follows in the background, behind urgent work (what makes a publication
   * findable by its other keywords soon after its name).
   */
  lookupLater?: boolean
}

export interface AnnounceResult {
  /** Keys that reached at least one peer (or `enough` of them). */
  announced: number
  /** Keys that reached none: kept and tried again once the DHT has peers. */
  pending: number
}

export interface AnnouncerInit {
  concurrency?: number
  provideTimeout?: number
  retryInterval?: number
  retryMaxInterval?: number
}

const PENDING = 'pending!'

export interface Announcer {
  announce(keys: CID[], options?: AnnounceOptions): Promise<AnnounceResult>
  /** Announces in the background (queued behind urgent work) until done or the signal aborts; errors are logged. */
  announceLater(keys: CID[], options?: AbortOptions): void
  withdraw(keys: CID[], options?: AbortOptions): Promise<void>
  /** Keys waiting for a peer. */
  pending(): CID[]
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * One provide of one key: the number of peers that stored the record. With `enough`, returns
 * once that many did and lets the rest of the provide run on in the background; the record is
 * then also sent at once to the closest peers of the local routing table (src/net/direct.ts),
 * so the first of them count without waiting for kad-dht's lookup, which goes on all the same
 * (a hostile or partial neighbourhood must not be all the record reaches).
 */
async function provideKey (host: RoutingHost, key: CID, signal: AbortSignal, options: { enough?: number, lookupLater?: Limiter, laterSignal?: () => AbortSignal }, background: (work: Promise<unknown>) => void, log: Logger): Promise<number> {
  const { enough } = options
  const dht = host.services.dht
  if (dht.routingTable.size === 0) return 0
  const lookup = async function * (within = signal): AsyncGenerator<string> {
    try {
      for await (const event of dht.provide(key, { signal: within })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') yield event.from.toString()
      }
    } catch (err: any) {
      log('provide of %s ended: %s', key, err?.message ?? err)
    }
  }
  const count = async (source: AsyncIterable<string>): Promise<number> => {
    let n = 0
    for await (const _ of source) n++
    return n
  }
  if (enough == null) {
    const stored = await count(lookup())
    if (stored === 0) log('provide of %s reached no peer', key)
    return stored
  }
  const direct = async function * (peers?: number): AsyncGenerator<string> {
    try {
      for await (const ack of provideDirect(dht, host.peerId, key, host.getMultiaddrs?.() ?? [], { signal, peers })) if (ack.ok) yield ack.peer.toString()
    } catch (err: any) {
      log('direct provide of %s failed: %s', key, err?.message ?? err)
    }
  }
  const later = options.lookupLater
  // kad-dht's lookup-based provide always follows (a hostile or partial neighbourhood must not
  // be all the record reaches), a few seconds later unless the direct sends fell short
  const gate = lookupGate(enough, C.BACKGROUND_LOOKUP_DELAY)
  if (later != null && canSendDirect(dht)) {
    const { peers, rest } = await firstAcks([gate.track(direct(C.DIRECT_PROVIDE_PEERS))], enough)
    // the lookup-based provide reaches the closest peers of the whole grid; its failure is logged
    // (kad-dht's reprovider provides the key again before it expires)
    background(rest.then(async () => {
      const within = options.laterSignal?.() ?? signal
      await gate.opened(within)
      await later(async () => {
        if (!within.aborted && await count(lookup(within)) === 0 && !within.aborted) log.error('provide of %s reached no peer after its lookup', key)
      })
    }))
    if (peers.size > 0) return peers.size
    return await count(lookup())
  }
  const fromLookup = new Set<string>()
  // the lookup outlives the caller's deadline: acknowledgements of the closest peers known
  // (perhaps hostile, perhaps not the grid's closest) are no reason to stop it
  const within = options.laterSignal?.() ?? signal
  const viaLookup = async function * (): AsyncGenerator<string> {
    await gate.opened(within)
    for await (const peer of lookup(within)) { fromLookup.add(peer); yield peer }
  }
  const directs = canSendDirect(dht) ? [gate.track(direct(C.DIRECT_PROVIDE_PEERS))] : []
  if (directs.length === 0) gate.open()
  const { peers, rest } = await firstAcks([viaLookup(), ...directs], enough, signal)
  // the lookup-based provide reaches the closest peers of the whole grid: its failure is logged
  // (kad-dht's reprovider provides the key again before it expires)
  background(rest.then(() => { if (fromLookup.size === 0 && !within.aborted) log.error('provide of %s reached no peer after its lookup', key) }))
  return peers.size
}

/** The keys kept waiting for a peer (unreadable entries are dropped). */
async function loadPending (db: PendingDb): Promise<CID[]> {
  const keys: CID[] = []
  for await (const id of db.keys({ gte: PENDING, lt: `${PENDING}\xff` })) {
    try { keys.push(CID.parse(id.slice(PENDING.length))) } catch { await db.del(id).catch(() => {}) }
  }
  return keys
}

export function createAnnouncer (host: RoutingHost, log: Logger, waitForPeers: (options: AbortOptions) => Promise<boolean>, db?: PendingDb, init: AnnouncerInit = {}): Announcer {
  const limit = limiter(init.concurrency ?? C.PROVIDE_CONCURRENCY)
  const waiting = new Map<string, CID>()
  const work = new Set<Promise<unknown>>()
  let shutdown = new AbortController()
  /** Wakes the retry loop when a key starts waiting. */
  let wake: (() => void) | undefined

  function track<T> (promise: Promise<T>): void {
    const tracked = promise.catch(err => { log.error('background announcing failed: %s', err?.message ?? err) }).finally(() => { work.delete(tracked) })
    work.add(tracked)
  }

  async function setPending (key: CID, pending: boolean): Promise<void> {
    const id = key.toString()
    if (pending === waiting.has(id)) return
    if (pending) waiting.set(id, key)
    else waiting.delete(id)
    if (pending) wake?.()
    await (pending ? db?.put(PENDING + id, Date.now()) : db?.del(PENDING + id))?.catch(err => { log.error('could not keep %s pending: %s', id, err?.message) })
  }

  async function announceOne (key: CID, options: AnnounceOptions): Promise<boolean> {
    const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(init.provideTimeout ?? C.PROVIDE_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
    // urgent work (what makes a publication findable) never waits for a slot behind background provides
    const laterSignal = (): AbortSignal => AbortSignal.any([shutdown.signal, AbortSignal.timeout(init.provideTimeout ?? C.PROVIDE_TIMEOUT)])
    const provide = async (): Promise<number> => await provideKey(host, key, signal, { enough: options.enough, lookupLater: options.lookupLater === true ? limit : undefined, laterSignal }, track, log)
    const stored = options.urgent === true ? await provide() : await limit(provide)
    if (shutdown.signal.aborted) return stored > 0
    if (stored === 0) log('provide of %s failed: no peer took it in time', key)
    await setPending(key, stored === 0)
    return stored > 0
  }

  async function announce (keys: CID[], options: AnnounceOptions = {}): Promise<AnnounceResult> {
    const unique = [...new Map(keys.map(k => [k.toString(), k])).values()]
    const results = await Promise.all(unique.map(async key => await announceOne(key, options)))
    const announced = results.filter(Boolean).length
    return { announced, pending: unique.length - announced }
  }

  /** Announces waiting keys whenever the DHT has peers, pausing longer after each fruitless try. */
  async function retryLoop (signal: AbortSignal): Promise<void> {
    let wait = init.retryInterval ?? C.ANNOUNCE_RETRY_INTERVAL
    while (!signal.aborted) {
      if (waiting.size === 0) {
        await new Promise<void>(resolve => { wake = resolve; signal.addEventListener('abort', () => { resolve() }, { once: true }) })
        wake = undefined
        wait = init.retryInterval ?? C.ANNOUNCE_RETRY_INTERVAL
        continue
      }
      if (!await waitForPeers({ signal })) continue
      const keys = [...waiting.values()]
      log('announcing %d keys that reached no peer before', keys.length)
      const { pending } = await announce(keys)
      if (pending > 0) {
        await pause(wait, signal)
        wait = Math.min(wait * 2, init.retryMaxInterval ?? C.ANNOUNCE_RETRY_MAX_INTERVAL)
      }
    }
  }

  return {
    announce,
    announceLater (keys, options = {}) { if (keys.length > 0 && !shutdown.signal.aborted) track(announce(keys, options)) },
    async withdraw (keys, options = {}) {
      for (const key of keys) {
        await setPending(key, false)
        try {
          await host.services.dht.cancelReprovide(key, { signal: AbortSignal.any([AbortSignal.timeout(init.provideTimeout ?? C.PROVIDE_TIMEOUT), ...(options.signal == null ? [] : [options.signal])]) })
        } catch (err: any) {
          log.error('could not stop providing %s: %s', key, err?.message ?? err)
        }
      }
    },
    pending: () => [...waiting.values()],
    async start () {
      shutdown = new AbortController()
      if (db != null) for (const key of await loadPending(db)) waiting.set(key.toString(), key)
      track(retryLoop(shutdown.signal))
    },
    async stop () {
      shutdown.abort(new Error('the node is stopping'))
      wake?.()
      await Promise.allSettled([...work])
    }
  }
}
