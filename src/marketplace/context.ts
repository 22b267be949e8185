/** What the parts of the marketplace (publish, announce, resolve, pull, search, serve) share. */
import type { Host } from '../net/host.js'
import type { RecordNamespace } from '../net/records.js'
import type { Routing } from '../net/routing.js'
import type { MarketplaceInit, VersionSink } from './types.js'
import type { ProtocolRecordValue } from './record.js'
import type { MarketStore } from './store.js'
import type { AbortOptions, Logger, PrivateKey } from '@libp2p/interface'

export interface MarketContext {
  host: Host
  privateKey: PrivateKey
  records: RecordNamespace<ProtocolRecordValue>
  store: MarketStore
  routing: Routing
  log: Logger
  init: MarketplaceInit
  /** This node's peer ID. */
  self: string
  repo?: VersionSink
  /** Aborted when the marketplace stops (a new one after each start). */
  stopping: () => AbortSignal
  /** The caller's signal, a deadline and the marketplace's (and the node's) shutdown, combined. */
  deadline: (options: AbortOptions, ms: number) => AbortSignal
  /** Runs work in the background: awaited by stop, its failure logged with `what`. */
  background: (what: string, work: () => Promise<unknown>) => void
}
