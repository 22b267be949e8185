/** The catalog's types: what it is built from and what it answers. */
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/index.js'
import type { FetchProgress } from './fetch.js'
import type { Manifest, UploadedFile } from './manifest.js'
import type { EntryKind } from './schema.js'
import type { SearchOptions, SearchResult } from './search.js'
import type { CatalogDb, CatalogEntry, CatalogStore } from './store.js'
import type { AbortOptions, ComponentLogger, Libp2p, Logger, Startable } from '@libp2p/interface'

export interface CatalogComponents {
  /** A level database or sublevel for the catalog's records. */
  db: CatalogDb
  blobs: BlobStore
  /** The node's libp2p host (stream protocols, addresses; its DHT through `routing`). */
  host: Libp2p
  /** The node's announce-and-discover service; without it the catalog makes its own on `host`. */
  routing?: Routing
  logger: ComponentLogger
  /** Whether something besides the catalog (a user's data space, an algorithm) still uses a blob: such blobs are never deleted here. */
  blobInUse?: (cid: string) => Promise<boolean>
}

export interface CatalogInit {
  /** Deadline of providing one key (ms), when the catalog makes its own routing service. */
  provideTimeout?: number
  /** Search deadlines (ms). */
  findProvidersTimeout?: number
  peerTimeout?: number
  /** A fetch gives up on a peer silent this long, or sending a block slower than 256 KiB per this long (ms). */
  fetchIdleTimeout?: number
  /** This node's HTTP API URL as other machines reach it, told to searchers (config `api.publicUrl`). */
  apiUrl?: string
}

/**
 * What to add: a file or directory on this node, one file's bytes as a stream (an upload), or
 * the files of a tree one after another (an uploaded directory).
 */
export type AddSource = { path: string } | { stream: AsyncIterable<Uint8Array>, filename: string } | { files: AsyncIterable<UploadedFile> }

export interface AddOptions extends AbortOptions {
  /** The user adding it (recorded as its owner; default: none, the admin's). */
  owner?: string
  /** Refuse (storing nothing) a streamed file over this many bytes. */
  maxBytes?: number
  /** Bytes stored so far. */
  onProgress?: (bytes: number) => void
}

export interface FetchOptions extends AbortOptions {
  /** The user fetching it: the owner of the copy on this node. */
  owner?: string
  onProgress?: (progress: FetchProgress) => void
  /** Known holders (peer IDs) to fetch from, instead of looking the holders up on the DHT. */
  from?: string[]
}

export interface ResolvedEntry {
  entry: CatalogEntry
  manifest: Manifest
  /** Each file with the path of its blob on disk (for jobs that read it in place). */
  files: Array<{ path: string, size: number, cid: string, blobPath: string }>
}

export type RemoveListener = (entry: CatalogEntry) => void | Promise<void>

export interface Catalog extends Startable {
  /** Every blob the catalog's entries use (the node's blob sweep keeps them). */
  blobReferences: () => AsyncIterable<string>
  add: (kind: EntryKind, source: AddSource, metadata: unknown, options?: AddOptions) => Promise<CatalogEntry>
  list: (kind: EntryKind, filter?: { tag?: string }) => Promise<CatalogEntry[]>
  /** An entry of this node by name or manifest CID; throws EntryNotFoundError. */
  get: (kind: EntryKind, ref: string) => Promise<CatalogEntry>
  /** An entry with its manifest and where each file lives on disk. */
  resolve: (kind: EntryKind, ref: string, options?: AbortOptions) => Promise<ResolvedEntry>
  /** Removes an entry: stops providing it, deletes blobs no other entry uses, tells listeners. */
  remove: (kind: EntryKind, ref: string) => Promise<CatalogEntry>
  search: (kind: EntryKind, terms: string[], options?: SearchOptions) => Promise<SearchResult[]>
  /** Copies a public entry (by name or manifest CID) from the grid to this node and provides it. */
  fetch: (kind: EntryKind, ref: string, options?: FetchOptions) => Promise<CatalogEntry>
  /** Called after an entry is removed (e.g. to cancel queued jobs that need it). Returns an unsubscribe. */
  onRemove: (listener: RemoveListener) => () => void
}

/** What the parts of the catalog (add, copy, search) share. */
export interface CatalogContext {
  store: CatalogStore
  blobs: BlobStore
  host: Libp2p
  routing: Routing
  log: Logger
  init: CatalogInit
  blobInUse?: (cid: string) => Promise<boolean>
}
