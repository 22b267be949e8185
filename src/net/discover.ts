/**
 * Discovering: the providers of some keys are looked up on the DHT and each is asked directly,
 * over a feature's wire protocol, as soon as the DHT names it. Answers come out as they arrive.
 */
import { channel, limiter } from './channel.js'
import * as C from './constants.js'
import { convergence } from './lookup.js'
import type { Convergence } from './lookup.js'
import type { QueryEvent } from '@libp2p/kad-dht'
import { pause } from '../time.js'
import type { RoutingHost } from './types.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface DiscoverQuery<T> {
  /** Keys whose providers are asked; looked up all at once. */
  keys: CID[]
  /**
   * More keys (e.g. broader ones, whose answers rank lower): looked up once the lookups of `keys`
   * ended, or `thenKeysAfter` after the start when they take longer.
   */
  thenKeys?: CID[]
  /** Peers to ask instead of looking providers up (known holders). */
  peers?: PeerId[]
  /**
   * Asks one peer over the feature's wire protocol and returns what it answered, already
   * checked (decoded, signatures verified). A peer that throws is dropped from the results.
   */
  ask: (peer: PeerId, options: { signal: AbortSignal }) => Promise<T[]>
}

export interface DiscoverOptions extends AbortOptions {
  /** The whole discovery's deadline (ms): then it ends with what it has, without an error. */
  timeout?: number
  /** Deadline of the provider lookups (ms). */
  findTimeout?: number
  /**
   * Deadline of one peer's answer (ms), once connected: a peer this node has no connection to
   * yet gets FIRST_CONTACT_ALLOWANCE more.
   */
  peerTimeout?: number
  /** Peers asked at once. */
  concurrency?: number
  /** Most peers asked. */
  maxPeers?: number
  /** Longest wait (ms) for the lookups of `keys` before those of `thenKeys` start. */
  thenKeysAfter?: number
}

/** One checked answer of one peer. */
export interface Found<T> {
  peer: PeerId
  value: T
}

/**
 * Yields what the providers of the keys answer, as they answer. Each peer is asked once
 * (this node never), at most `concurrency` at a time, each within `peerTimeout`; dead, slow or
 * lying peers only lose their answers. Ends when every lookup has converged (or ended) and
 * every provider it named has answered (or failed), or at the deadline with what it has;
 * throws when the caller's signal aborts.
 */
export async function * discover<T> (host: RoutingHost, log: Logger, query: DiscoverQuery<T>, options: DiscoverOptions = {}): AsyncGenerator<Found<T>> {
  // ends at the deadline, when the caller aborts, or when the caller stops reading
  const done = new AbortController()
  const signal = AbortSignal.any([done.signal, AbortSignal.timeout(options.timeout ?? C.DISCOVER_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
  const found = channel<Found<T>>()
  const asked = new Set<string>([host.peerId.toString()])
  const maxPeers = options.maxPeers ?? C.DISCOVER_MAX_PEERS
  const limit = limiter(options.concurrency ?? C.DISCOVER_CONCURRENCY)
  const asks: Array<Promise<void>> = []

  const ask = (peer: PeerId): void => {
    const id = peer.toString()
    if (asked.has(id) || asked.size > maxPeers) return
    asked.add(id)
    asks.push(limit(async () => {
      if (signal.aborted) return
      try {
        // a peer not connected yet gets the time a first contact takes on top (dial, handshake)
        const firstContact = host.getConnections != null && host.getConnections(peer).length === 0
        const peerTimeout = (options.peerTimeout ?? C.DISCOVER_PEER_TIMEOUT) + (firstContact ? C.FIRST_CONTACT_ALLOWANCE : 0)
        const peerSignal = AbortSignal.any([signal, AbortSignal.timeout(peerTimeout)])
        for (const value of await query.ask(peer, { signal: peerSignal })) found.push({ peer, value })
      } catch (err: any) {
        log('discover: %p did not answer: %s', peer, err?.message ?? err)
      }
    }))
  }

  const lookups = (async () => {
    if (query.peers != null) {
      query.peers.forEach(ask)
      return
    }
    const findTimeout = options.findTimeout ?? C.FIND_PROVIDERS_TIMEOUT
    const findSignal = AbortSignal.any([signal, AbortSignal.timeout(findTimeout)])
    const lookup = async (key: CID): Promise<void> => {
      for await (const peer of providers(host, log, key, { signal: findSignal, timeout: findTimeout, converge: true })) ask(peer)
    }
    // the broader keys wait until the exact ones' lookups ended (converged), or THEN_KEYS_AFTER at
    // most (a lookup a hostile peer holds up delays them no longer): started at once, they doubled
    // the lookups competing for the CPU before the first answer
    const exact = Promise.all(query.keys.map(lookup))
    const thenKeys = query.thenKeys ?? []
    if (thenKeys.length > 0) {
      const waited = new AbortController()
      await Promise.race([exact, pause(options.thenKeysAfter ?? C.THEN_KEYS_AFTER, AbortSignal.any([findSignal, waited.signal]))])
      waited.abort()
      if (!findSignal.aborted) await Promise.all(thenKeys.map(lookup))
    }
    await exact
  })()

  void (async () => {
    await lookups
    // asks are added while earlier ones settle
    for (let settled = 0; settled < asks.length;) {
      const batch = asks.slice(settled)
      await Promise.allSettled(batch)
      settled += batch.length
    }
    found.end()
  })()
  const onAbort = (): void => { found.end() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    yield * found
    options.signal?.throwIfAborted()
  } finally {
    signal.removeEventListener('abort', onAbort)
    done.abort()
  }
}

export interface ProvidersOptions extends AbortOptions {
  /** Deadline of the lookup (ms). */
  timeout?: number
  /**
   * Stop once the lookup converged (the LOOKUP_CONVERGED_PEERS peers closest to the key that
   * it knows of have answered) instead of running kad-dht's lookup to its end (what a
   * discovery does).
   */
  converge?: boolean
}

/**
 * The providers of a key as the DHT names them: each once, never this node, their addresses
 * kept for dialling. Ends when kad-dht's lookup ends (with `converge`, once it converged: see
 * src/net/lookup.ts), or at the deadline, without an error.
 */
export async function * providers (host: RoutingHost, log: Logger, key: CID, options: ProvidersOptions = {}): AsyncGenerator<PeerId> {
  // stopping ends kad-dht's lookup and its requests in flight
  const stop = new AbortController()
  const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(options.timeout ?? C.FIND_PROVIDERS_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
  const seen = new Set<string>([host.peerId.toString()])
  const events = host.services.dht.findProviders(key, { signal })[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<QueryEvent>> | undefined
  try {
    const lookup = options.converge !== true ? undefined : await convergence(host.services.dht, host.peerId, key.multihash.bytes, C.LOOKUP_CONVERGED_PEERS, C.LOOKUP_PEER_SLOW)
    let converged = false
    for (;;) {
      pending = events.next()
      const result = await nextOrConverged(pending, lookup)
      if (result == null || result.done === true) break
      const event = result.value
      if (event.name === 'PROVIDER') {
        for (const provider of event.providers) {
          if (seen.has(provider.id.toString())) continue
          seen.add(provider.id.toString())
          if (provider.multiaddrs.length > 0) await host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
          yield provider.id
        }
      }
      // an answer naming new providers is followed at once by their PROVIDER event: that is read first
      if (converged) break
      if (lookup != null && await lookup.observe(event)) {
        if (!(event.name === 'PEER_RESPONSE' && event.providers.some(p => !seen.has(p.id.toString())))) break
        converged = true
      }
    }
  } catch (err: any) {
    if (!signal.aborted) log('provider lookup of %s ended: %s', key, err?.message ?? err)
  } finally {
    stop.abort()
    pending?.catch(() => {})
    events.return?.(undefined)?.catch(() => {})
  }
}

/**
 * The lookup's next event, or undefined once it converged while waiting for one (a peer asked
 * meanwhile became slow: see src/net/lookup.ts).
 */
async function nextOrConverged (next: Promise<IteratorResult<QueryEvent>>, lookup: Convergence | undefined): Promise<IteratorResult<QueryEvent> | undefined> {
  for (;;) {
    const wait = lookup?.nextSlow()
    if (lookup == null || wait == null) return await next
    let timer: ReturnType<typeof setTimeout> | undefined
    const woke = await Promise.race([next, new Promise<'slow'>(resolve => { timer = setTimeout(resolve, wait + 1, 'slow') })]).finally(() => { clearTimeout(timer) })
    if (woke !== 'slow') return woke
    if (lookup.converged()) return undefined
  }
}
