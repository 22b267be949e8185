import { createRouting } from '../net/routing.js'
import { addEntry } from './add.js'
import { withdrawEntry } from './announce.js'
import { createCopier, findLocal } from './copy.js'
import { parseTerms } from './entries.js'
import { EntryNotFoundError } from './errors.js'
import { nameKey } from './keys.js'
import { decodeManifest } from './manifest.js'
import { parseKind } from './schema.js'
import { searchGrid } from './search.js'
import { CatalogStore } from './store.js'
import { handleCatalogProtocols, unhandleCatalogProtocols } from './wire.js'
import type { EntryKind } from './schema.js'
import type { SearchOptions, SearchResult } from './search.js'
import type { CatalogEntry } from './store.js'
import type { Catalog, CatalogComponents, CatalogContext, CatalogInit, RemoveListener } from './types.js'

export type { AddOptions, AddSource, Catalog, CatalogComponents, CatalogContext, CatalogInit, FetchOptions, RemoveListener, ResolvedEntry } from './types.js'

export function createCatalog (components: CatalogComponents, init: CatalogInit = {}): Catalog {
  const { blobs, host } = components
  const log = components.logger.forComponent('paip:catalog')
  const store = new CatalogStore(components.db)
  // a catalog built alone (tests, tools) keeps its keys waiting for peers in its own database
  const ownRouting = components.routing == null
  const routing = components.routing ?? createRouting({ host: host as any, logger: components.logger, db: components.db.sublevel('routing') as any }, { provideTimeout: init.provideTimeout })
  const ctx: CatalogContext = { store, blobs, host, routing, log, init, blobInUse: components.blobInUse }
  const listeners = new Set<RemoveListener>()
  let started = false

  async function get (kind: EntryKind, ref: string): Promise<CatalogEntry> {
    const entry = await findLocal(ctx, parseKind(kind), ref)
    if (entry == null) throw new EntryNotFoundError(kind, ref)
    return entry
  }

  async function remove (kind: EntryKind, ref: string): Promise<CatalogEntry> {
    const entry = await get(kind, ref)
    const removed = await store.remove(kind, entry.name)
    if (removed == null) throw new EntryNotFoundError(kind, ref)
    for (const cid of removed.orphans) {
      if (await components.blobInUse?.(cid) !== true) await blobs.delete(cid)
    }
    await withdrawEntry(routing, store, entry)
    log('removed %s %s', kind, entry.name)
    for (const listener of listeners) {
      try { await listener(entry) } catch (err: any) { log.error('remove listener failed: %s', err?.message ?? err) }
    }
    return entry
  }

  async function search (kind: EntryKind, terms: string[], options: SearchOptions = {}): Promise<SearchResult[]> {
    const parsed = terms.length === 0 && (options.manifests?.length ?? 0) > 0 ? [] : parseTerms(terms)
    return await searchGrid(ctx, parseKind(kind), parsed, {
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
      if (ownRouting) await routing.start()
      started = true
    },
    async stop () {
      if (!started) return
      started = false
      if (ownRouting) await routing.stop()
      await unhandleCatalogProtocols(host).catch(() => {})
    },
    add: async (kind, source, metadata, options) => await addEntry(ctx, kind, source, metadata, options),
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
    fetch: createCopier(ctx, search),
    onRemove (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}

export { nameKey }
