import { parseBlobCid } from '../storage/index.js'
import { Announcer } from './announce.js'
import { parseTerms } from './entries.js'
import { EntryExistsError, EntryNotFoundError } from './errors.js'
import { chooseHolders, fetchEntryBlobs } from './fetch.js'
import { entryKeys, nameKey } from './keys.js'
import { checkUploadName, decodeManifest, ingestFile, ingestFiles, ingestPath, storeManifest } from './manifest.js'
import { handleCatalogProtocols, unhandleCatalogProtocols } from './protocol.js'
import { parseKind, validateMetadata } from './schema.js'
import { searchGrid } from './search.js'
import { CatalogStore } from './store.js'
import type { BlobStore } from '../storage/index.js'
import type { FetchProgress } from './fetch.js'
import type { IngestResult, Manifest, UploadedFile } from './manifest.js'
import type { EntryKind } from './schema.js'
import type { SearchOptions, SearchResult } from './search.js'
import type { CatalogDb, CatalogEntry } from './store.js'
import type { AbortOptions, ComponentLogger, Libp2p, Startable } from '@libp2p/interface'

export interface CatalogComponents {
  /** A level database or sublevel for the catalog's records. */
  db: CatalogDb
  blobs: BlobStore
  /** The node's libp2p host (content routing for the DHT, stream protocols). */
  host: Libp2p
  logger: ComponentLogger
  /** Whether something besides the catalog (a user's data space, an algorithm) still uses a blob: such blobs are never deleted here. */
  blobInUse?: (cid: string) => Promise<boolean>
}

export interface CatalogInit {
  /** How often every key is provided again (ms, default 12 h; kad-dht also re-provides before expiry). */
  reprovideInterval?: number
  /** Deadline of providing one key (ms). */
  provideTimeout?: number
  /** Keys that could not be provided are tried again this soon (ms, default 1 min). */
  provideRetryInterval?: number
  /** Search deadlines (ms). */
  findProvidersTimeout?: number
  peerTimeout?: number
  /** A fetch gives up on a peer silent this long (ms). */
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

function isCid (ref: string): boolean {
  try { parseBlobCid(ref); return true } catch { return false }
}

export function createCatalog (components: CatalogComponents, init: CatalogInit = {}): Catalog {
  const { blobs, host } = components
  const log = components.logger.forComponent('paip:catalog')
  const store = new CatalogStore(components.db)
  const announcer = new Announcer(host.contentRouting, store, log, {
    ...init,
    ready: () => ((host.services as any)?.dht?.routingTable?.size ?? host.getConnections().length) > 0
  })
  const listeners = new Set<RemoveListener>()
  /** Fetches in progress by manifest CID: a second fetch of the same content waits for the first. */
  const fetching = new Map<string, Promise<unknown>>()
  let started = false

  async function find (kind: EntryKind, ref: string): Promise<CatalogEntry | undefined> {
    if (isCid(ref)) {
      return (await store.entriesUsing(parseBlobCid(ref).toString())).find(e => e.kind === kind && e.manifest === parseBlobCid(ref).toString())
    }
    return store.get(kind, ref)
  }

  async function get (kind: EntryKind, ref: string): Promise<CatalogEntry> {
    const entry = await find(parseKind(kind), ref)
    if (entry == null) throw new EntryNotFoundError(kind, ref)
    return entry
  }

  /** Deletes blobs of a failed add that no entry uses. */
  async function undo (cids: Iterable<string>): Promise<void> {
    for (const cid of cids) {
      if ((await store.users(cid)).length === 0 && await components.blobInUse?.(cid) !== true) await blobs.delete(cid).catch(() => {})
    }
  }

  async function register (entry: CatalogEntry, cids: string[]): Promise<CatalogEntry> {
    await store.put(entry, cids)
    log('added %s %s (%s)', entry.kind, entry.name, entry.manifest)
    await announcer.announce(entryKeys(entry))
    return entry
  }

  function entryOf (kind: EntryKind, metadata: ReturnType<typeof validateMetadata>, ingest: { manifest: Manifest, manifestCid: string }, extra: Partial<CatalogEntry> = {}): CatalogEntry {
    return {
      ...metadata,
      kind,
      public: metadata.public === true,
      manifest: ingest.manifestCid,
      size: ingest.manifest.size,
      files: ingest.manifest.files.length,
      addedAt: new Date().toISOString(),
      ...extra
    } as CatalogEntry
  }

  async function add (kind: EntryKind, source: AddSource, input: unknown, options: AddOptions = {}): Promise<CatalogEntry> {
    const metadata = validateMetadata(parseKind(kind), input)
    if ('filename' in source) checkUploadName(source.filename)
    const owner = options.owner == null ? {} : { owner: options.owner }
    const taken = async (): Promise<void> => {
      const existing = await store.get(kind, metadata.name)
      if (existing != null) throw new EntryExistsError(kind, metadata.name, existing.owner ?? 'admin')
    }
    await taken()
    const cids = new Set<string>()
    try {
      let result: IngestResult
      if ('path' in source) {
        result = await ingestPath(blobs, source.path, cids, options)
      } else if ('files' in source) {
        result = await ingestFiles(blobs, source.files, cids, options)
      } else {
        const file = await ingestFile(blobs, source.stream, source.filename, cids, options)
        result = await storeManifest(blobs, [file], cids, options)
      }
      await taken()
      return await register(entryOf(kind, metadata, { manifest: result.manifest, manifestCid: result.manifestCid.toString() }, owner), result.cids)
    } catch (err) {
      await undo(cids)
      throw err
    }
  }

  async function remove (kind: EntryKind, ref: string): Promise<CatalogEntry> {
    const entry = await get(kind, ref)
    const removed = await store.remove(kind, entry.name)
    if (removed == null) throw new EntryNotFoundError(kind, ref)
    for (const cid of removed.orphans) {
      if (await components.blobInUse?.(cid) !== true) await blobs.delete(cid)
    }
    await announcer.withdraw(entryKeys(entry))
    log('removed %s %s', kind, entry.name)
    for (const listener of listeners) {
      try { await listener(entry) } catch (err: any) { log.error('remove listener failed: %s', err?.message ?? err) }
    }
    return entry
  }

  async function fetch (kind: EntryKind, ref: string, options: FetchOptions = {}): Promise<CatalogEntry> {
    parseKind(kind)
    const local = await find(kind, ref)
    if (local != null) return local
    const byCid = isCid(ref)
    const results = await search(kind, byCid ? [] : [ref], {
      signal: options.signal,
      remoteOnly: true,
      manifests: byCid ? [parseBlobCid(ref).toString()] : undefined,
      ...(options.from == null ? {} : { peers: options.from })
    })
    const matching = results.filter(r => byCid ? r.entry.manifest === parseBlobCid(ref).toString() : r.entry.name.toLowerCase() === ref.toLowerCase())
    if (matching.length === 0) throw new EntryNotFoundError(kind, ref)
    const { manifest, holders } = chooseHolders(ref, matching)
    while (fetching.has(manifest)) await fetching.get(manifest)?.catch(() => {})
    // no await between the check above and the set below: one fetch per manifest at a time
    const work = (async () => await find(kind, manifest) ?? await fetchAndRegister(kind, manifest, holders, options))()
    fetching.set(manifest, work)
    try { return await work } finally { fetching.delete(manifest) }
  }

  async function fetchAndRegister (kind: EntryKind, manifest: string, holders: SearchResult[], options: FetchOptions): Promise<CatalogEntry> {
    const { cids } = await fetchEntryBlobs(host, blobs, manifest, holders.map(h => h.node.peerId), log, {
      signal: options.signal,
      idleTimeout: init.fetchIdleTimeout,
      onProgress: options.onProgress
    })
    const { kind: _k, manifest: _m, size, files, addedAt: _a, fetchedFrom: _f, owner: _o, ...metadata } = holders[0].entry
    const checked = validateMetadata(kind, metadata)
    const existing = await store.get(kind, checked.name)
    if (existing != null) {
      if (existing.manifest === manifest) return existing
      throw new EntryExistsError(kind, checked.name, existing.owner ?? 'admin')
    }
    return register({
      ...entryOf(kind, checked, { manifest: { version: 1, blockSize: 0, size, files: [] }, manifestCid: manifest }),
      files,
      fetchedFrom: holders[0].node.peerId,
      ...(options.owner == null ? {} : { owner: options.owner })
    }, cids)
  }

  async function search (kind: EntryKind, terms: string[], options: SearchOptions = {}): Promise<SearchResult[]> {
    const parsed = terms.length === 0 && (options.manifests?.length ?? 0) > 0 ? [] : parseTerms(terms)
    return searchGrid(host, store, parseKind(kind), parsed, log, {
      findProvidersTimeout: init.findProvidersTimeout,
      peerTimeout: init.peerTimeout,
      selfApi: init.apiUrl,
      ...options
    })
  }

  return {
    blobReferences: () => store.cids(),
    async start () {
      if (started) return
      await handleCatalogProtocols(host, store, blobs, init.apiUrl)
      announcer.start()
      started = true
    },
    async stop () {
      if (!started) return
      started = false
      await announcer.stop()
      await unhandleCatalogProtocols(host).catch(() => {})
    },
    add,
    async list (kind, filter = {}) {
      const out: CatalogEntry[] = []
      for await (const entry of store.list(parseKind(kind))) {
        if (filter.tag == null || entry.tags.includes(filter.tag.toLowerCase())) out.push(entry)
      }
      return out
    },
    get,
    async resolve (kind, ref, options = {}) {
      const entry = await get(kind, ref)
      const bytes: Uint8Array[] = []
      for await (const chunk of blobs.get(entry.manifest, options)) bytes.push(chunk)
      const manifest = decodeManifest(Buffer.concat(bytes))
      return { entry, manifest, files: manifest.files.map(f => ({ ...f, blobPath: blobs.path(f.cid) })) }
    },
    remove,
    search,
    fetch,
    onRemove (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}

export { nameKey }
