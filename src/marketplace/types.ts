/** The marketplace's types: what it is built from and what it answers. */
import type { Host } from '../net/host.js'
import type { RecordNamespace } from '../net/records.js'
import type { Routing } from '../net/routing.js'
import type { Block, PublishInput } from './publish.js'
import type { Version } from './objects.js'
import type { ProtocolRecord, ProtocolRecordValue } from './record.js'
import type { Entry, MarketDb } from './store.js'
import type { AbortOptions, ComponentLogger, PrivateKey, Startable } from '@libp2p/interface'

/** One version received by a pull, with its content (newest first in PullResult.versions). */
export interface PulledVersion extends Version {
  bytes: Uint8Array
  contentBytes: Uint8Array
}

/** Where pulled versions go, if given (a `Repository` from src/repo fits). */
export interface VersionSink {
  importVersions(records: Block[], contents: Block[], options?: AbortOptions): Promise<unknown>
}

export interface MarketplaceComponents {
  host: Host
  /** The node's announce-and-discover service; without it the marketplace makes its own on `host`. */
  routing?: Routing
  privateKey: PrivateKey
  /** The marketplace's sublevel (JSON values). */
  db: MarketDb
  logger: ComponentLogger
  shutdownSignal?: AbortSignal
  repo?: VersionSink
}

export interface MarketplaceInit {
  /** The protocol record namespace registered on this node's DHT (default: a new one). */
  records?: RecordNamespace<ProtocolRecordValue>
  /** Held records are put in the DHT again this often (ms; 0: never). */
  republishInterval?: number
  provideTimeout?: number
  /** A publish returns once this many peers hold its name keyword's provider record. */
  announceEnough?: number
  searchTimeout?: number
  searchPeerTimeout?: number
}

export interface PublishResult {
  publisher: string
  /** Its full name on the publisher: `<user>/<name>`, or the bare name for the admin's. */
  name: string
  /** The user of the publishing node who owns it. */
  user: string
  file: string
  version: string
  versions: number
  seq: number
  keywords: string[]
  changed: boolean
  /** DHT peers that stored the record. */
  stored: number
}

export interface PullOptions extends AbortOptions {
  /** A version CID, or a 1-based version number (1 = oldest). Default: the latest. */
  version?: string | number
}

export interface PullResult {
  publisher?: string
  name: string
  /** The file's repository path. */
  file: string
  /** The selected version (default: the latest). */
  selected: PulledVersion
  /** The whole history up to the latest, newest first. */
  versions: PulledVersion[]
  record?: ProtocolRecord
}

/** A protocol's history to look at (`Marketplace.history`). */
export interface HistoryResult {
  publisher?: string
  name: string
  file: string
  /** The whole history up to the latest, newest first. */
  versions: PulledVersion[]
  record?: ProtocolRecord
  /** Peer IDs known to hold it. */
  holders: string[]
}

export interface Marketplace extends Startable {
  readonly records: RecordNamespace<ProtocolRecordValue>
  publish(input: PublishInput, options?: AbortOptions): Promise<PublishResult>
  /** Streams hits as peers answer (a hit is yielded again when it gains holders or a newer record). */
  search(words: string[], options?: SearchOptions): AsyncGenerator<SearchHit>
  searchRanked(words: string[], options?: SearchOptions): Promise<SearchHit[]>
  /** The signed record of `publisher/name` or of a bare name (searched; must be unambiguous). */
  resolve(ref: string, options?: AbortOptions): Promise<{ record: ProtocolRecord, holders: string[] }>
  pull(ref: string, options?: PullOptions): Promise<PullResult>
  /** A protocol's history as a pull reads it (hashes verified), without keeping or announcing it. */
  history(ref: string, options?: AbortOptions): Promise<HistoryResult>
  /** Entries this node holds (published or pulled). */
  entries(): Entry[]
  /** The latest content of a held protocol by file name (own publications first). */
  readFile(file: string, publisher?: string, user?: string): Promise<{ entry: Entry, content: Uint8Array }>
  /** What a publisher publishes (asked directly; at most 50, newest first), each record verified. */
  listPublisher(publisher: string, options?: AbortOptions): Promise<ProtocolRecord[]>
  /** Re-puts held records and re-provides keywords and CIDs. */
  republish(options?: AbortOptions): Promise<void>
}


export interface SearchHit {
  publisher: string
  name: string
  user: string
  file: string
  /** CID of the latest version object. */
  version: string
  versions: number
  description: string
  keywords: string[]
  /** When the record was signed (ms since the epoch). */
  time: number
  seq: number
  /** Peer IDs of the nodes that answered holding it. */
  holders: string[]
  /** How many of the query's keywords it matches, exactly or as a prefix of one of its keywords. */
  matched: number
  /** How many of them it matches exactly (ranks above prefix matches; none said: as many as matched). */
  exact?: number
  record: ProtocolRecord
}

export interface SearchOptions extends AbortOptions {
  /** Whole search deadline (ms). */
  timeout?: number
  /** One peer's deadline (ms). */
  peerTimeout?: number
  limit?: number
}
