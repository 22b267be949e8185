/**
 * The node's one announce-and-discover service on the DHT, used by every component that makes
 * something findable (catalog entries, marketplace publications, jobs, evaluations, federated
 * runs, algorithms): announce keys, stop announcing them, wait for DHT peers, and discover
 * (providers of keys → ask each over a wire protocol → checked answers as they come).
 * Keys are built with `dhtKey` (src/net/keys.ts), the one key scheme.
 */
import { createAnnouncer } from './announce.js'
import { pause } from '../time.js'
import * as C from './constants.js'
import { discover, providers } from './discover.js'
import type { AnnounceOptions, AnnounceResult, PendingDb } from './announce.js'
import type { DiscoverOptions, DiscoverQuery, Found, ProvidersOptions } from './discover.js'
import type { RoutingHost } from './types.js'
import type { AbortOptions, ComponentLogger, PeerId, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export type { AnnounceOptions, AnnounceResult, PendingDb } from './announce.js'
export type { DiscoverOptions, DiscoverQuery, Found, ProvidersOptions } from './discover.js'

export type { RoutingHost } from './types.js'

export interface RoutingComponents {
  host: RoutingHost
  logger: ComponentLogger
  /** Keeps keys that reached no peer yet across restarts (a sublevel); without it, in memory. */
  db?: PendingDb
}

export interface RoutingInit {
  /** Provides run at once. */
  provideConcurrency?: number
  /** Deadline of one key's provide (ms). */
  provideTimeout?: number
  /** First pause before announcing again keys that reached no peer (ms); it doubles each try. */
  retryInterval?: number
  retryMaxInterval?: number
}

export interface WaitForPeersOptions extends AbortOptions {
  /** Give up after this long (ms, default one minute). */
  timeout?: number
}

export interface Routing extends Startable {
  /**
   * Announces that this node provides the keys; resolves when each key reached a peer (or
   * `enough` of them), or reached none and was kept to try again once the DHT has peers.
   * kad-dht re-provides announced keys before they expire, also after a restart.
   */
  announce: (keys: CID[], options?: AnnounceOptions) => Promise<AnnounceResult>
  /**
   * Announces in the background, behind urgent announcements, until done or the signal aborts
   * (keys it did not reach a peer with wait for the next try); failures are logged.
   */
  announceLater: (keys: CID[], options?: AbortOptions) => void
  /** Stops providing the keys (kad-dht stops re-providing them; peers forget them at expiry). */
  withdraw: (keys: CID[], options?: AbortOptions) => Promise<void>
  /** Keys announced that reached no peer yet. */
  pending: () => CID[]
  /**
   * The providers of a key as the DHT names them (each once, never this node), until the lookup
   * converged (or, `exhaustive`, ended) or `timeout` (ms) passes.
   */
  providers: (key: CID, options?: ProvidersOptions) => AsyncGenerator<PeerId>
  /** Providers' checked answers to a query, as they come (see `discover`). */
  discover: <T>(query: DiscoverQuery<T>, options?: DiscoverOptions) => AsyncGenerator<Found<T>>
  /** True when the DHT has at least one peer. */
  hasPeers: () => boolean
  /** Resolves true once the DHT has a peer, false at the deadline or when the signal aborts. */
  waitForPeers: (options?: WaitForPeersOptions) => Promise<boolean>
}

export function createRouting (components: RoutingComponents, init: RoutingInit = {}): Routing {
  const { host } = components
  const log = components.logger.forComponent('paip:net:routing')
  const hasPeers = (): boolean => host.services.dht.routingTable.size > 0

  async function waitForPeers (options: WaitForPeersOptions = {}): Promise<boolean> {
    const deadline = Date.now() + (options.timeout ?? C.PEER_WAIT)
    while (!hasPeers()) {
      if (options.signal?.aborted === true || Date.now() >= deadline) return false
      await pause(C.PEER_POLL_INTERVAL, options.signal)
    }
    return true
  }

  const announcer = createAnnouncer(host, log, waitForPeers, components.db, {
    concurrency: init.provideConcurrency,
    provideTimeout: init.provideTimeout,
    retryInterval: init.retryInterval,
    retryMaxInterval: init.retryMaxInterval
  })
  let started = false

  return {
    announce: announcer.announce,
    announceLater: announcer.announceLater,
    withdraw: announcer.withdraw,
    pending: announcer.pending,
    providers: (key, options) => providers(host, log, key, options),
    discover: (query, options) => discover(host, log, query, options),
    hasPeers,
    waitForPeers,
    async start () {
      if (started) return
      started = true
      await announcer.start()
    },
    async stop () {
      if (!started) return
      started = false
      await announcer.stop()
    }
  }
}
