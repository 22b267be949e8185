import type { Authenticator } from '../api/auth.js'
import type { Algorithms } from '../algorithms/index.js'
import type { Catalog } from '../catalog/index.js'
import type { DataSpace } from '../data/index.js'
import type { Evaluations } from '../jobs/eval/index.js'
import type { Fed } from '../fed/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Marketplace } from '../marketplace/index.js'
import type { Metrics } from '../metrics/index.js'
import type { Users } from '../users/index.js'
import type { Host } from '../net/host.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import type { SweepOptions, SweepResult } from '../storage/sweep.js'
import type { NodeConfig } from './config-schema.js'
import type { Database } from './database.js'
import type { ComponentLogger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Selectors, Validators } from '@libp2p/kad-dht'

/** What the node builds itself, before any component. */
export interface CoreComponents {
  /** The node home directory. */
  home: string
  config: NodeConfig
  logger: ComponentLogger
  /** The node's level database: take a sublevel with `sublevel(db, '<component>')`. */
  db: Database
  /** Content-addressed blobs (dataset files, outputs) in `<home>/blobs`, shared by components. */
  blobs: BlobStore
  privateKey: PrivateKey
  peerId: PeerId
  host: Host
  /** Add token verifiers (user logins) with `authenticator.addVerifier`. */
  authenticator: Authenticator
  /** When the node started (ms since the epoch). */
  startedAt: number
  version: string
  /** Aborted when the node stops: combine it with every long wait. */
  shutdownSignal: AbortSignal
  /** The node's Prometheus registry (libp2p's figures and paip's histograms), served at `GET /metrics`. */
  metrics: Metrics
  /**
   * Removes temp files and blobs nothing references (`paip gc`; also at start). References
   * come from every component with a `blobReferences()` and from every blob CID the database
   * holds. `grace` (ms): leave files newer than that (writes in progress).
   */
  sweepBlobs: (options?: SweepOptions) => Promise<SweepResult>
}

/**
 * Everything a node holds, passed to each component factory and to every API route.
 * ADD A COMPONENT: add its field here (e.g. `catalog: Catalog`) and its entry to defaultComponents()
 * in `src/node/registry.ts`.
 */
export interface NodeComponents extends CoreComponents {
  /** Announcing keys on the DHT and discovering their providers (every component's, one queue). */
  routing: Routing
  catalog: Catalog
  /** Users' files under data://<user>/<collection>/<path>. */
  data: DataSpace
  users: Users
  marketplace: Marketplace
  jobs: Jobs
  evaluations: Evaluations
  fed: Fed
  /** Published algorithms, called as jobs. */
  algorithms: Algorithms
}

/** DHT record validators and selectors, one pair per record namespace a component uses. */
export interface RecordNamespaces {
  validators?: Validators
  selectors?: Selectors
}

type ExtraName = Exclude<keyof NodeComponents, keyof CoreComponents>

/**
 * How the node builds one component. `create` gets the components built before it (in list
 * order); if what it returns has `start()`/`stop()`, they are called after libp2p started /
 * before it stops (in reverse order). `records` are merged into the DHT's validators and
 * selectors, which are fixed when libp2p is created.
 */
export interface ComponentEntry<K extends ExtraName = ExtraName> {
  name: K
  create: (components: NodeComponents) => NodeComponents[K] | Promise<NodeComponents[K]>
  records?: RecordNamespaces
}

/** Type-checks one entry of the components list. */
export function component<K extends ExtraName> (entry: ComponentEntry<K>): ComponentEntry<K> {
  return entry
}
