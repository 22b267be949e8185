/** Copying a public entry from the grid to this node: find its holders, fetch, register. */
import { parseBlobCid } from '../storage/index.js'
import { abortable } from '../time.js'
import { entryOf, register } from './add.js'
import { EntryExistsError, EntryNotFoundError } from './errors.js'
import { chooseHolders, fetchEntryBlobs } from './fetch.js'
import { parseKind, validateMetadata } from './schema.js'
import type { CatalogContext, FetchOptions } from './types.js'
import type { EntryKind } from './schema.js'
import type { SearchOptions, SearchResult } from './search.js'
import type { CatalogEntry } from './store.js'

export function isCid (ref: string): boolean {
  try { parseBlobCid(ref); return true } catch { return false }
}

/** An entry of this node by name or manifest CID. */
export async function findLocal (ctx: CatalogContext, kind: EntryKind, ref: string): Promise<CatalogEntry | undefined> {
  if (isCid(ref)) {
    const manifest = parseBlobCid(ref).toString()
    return (await ctx.store.entriesUsing(manifest)).find(e => e.kind === kind && e.manifest === manifest)
  }
  return await ctx.store.get(kind, ref)
}

export type GridSearch = (kind: EntryKind, terms: string[], options: SearchOptions) => Promise<SearchResult[]>

/** Fetches the blobs of one entry from its holders and records it as this node's. */
async function fetchAndRegister (ctx: CatalogContext, kind: EntryKind, manifest: string, holders: SearchResult[], options: FetchOptions): Promise<CatalogEntry> {
  const { cids } = await fetchEntryBlobs(ctx.host, ctx.blobs, manifest, holders.map(h => h.node.peerId), ctx.log, {
    signal: options.signal,
    idleTimeout: ctx.init.fetchIdleTimeout,
    onProgress: options.onProgress
  })
  const { kind: _k, manifest: _m, size, files, addedAt: _a, fetchedFrom: _f, owner: _o, ...metadata } = holders[0].entry
  const checked = validateMetadata(kind, metadata)
  const existing = await ctx.store.get(kind, checked.name)
  if (existing != null) {
    if (existing.manifest === manifest) return existing
    throw new EntryExistsError(kind, checked.name, existing.owner ?? 'admin')
  }
  return await register(ctx, {
    ...entryOf(kind, checked, { manifest: { version: 1, blockSize: 0, size, files: [] }, manifestCid: manifest }),
    files,
    fetchedFrom: holders[0].node.peerId,
    ...(options.owner == null ? {} : { owner: options.owner })
  }, cids)
}

/**
 * `Catalog.fetch`: an entry by name or manifest CID, from this node if it holds it, else
 * copied from its public holders. One fetch per manifest at a time: a second waits for the first.
 */
export function createCopier (ctx: CatalogContext, search: GridSearch): (kind: EntryKind, ref: string, options?: FetchOptions) => Promise<CatalogEntry> {
  const fetching = new Map<string, Promise<unknown>>()
  return async (kind, ref, options = {}) => {
    parseKind(kind)
    const local = await findLocal(ctx, kind, ref)
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
    // another fetch of it ends first (whatever its outcome), unless this caller gives up
    while (fetching.has(manifest)) await abortable((fetching.get(manifest) ?? Promise.resolve()).then(() => {}, () => {}), options.signal)
    // no await between the check above and the set below: one fetch per manifest at a time
    const work = (async () => await findLocal(ctx, kind, manifest) ?? await fetchAndRegister(ctx, kind, manifest, holders, options))()
    fetching.set(manifest, work)
    try { return await work } finally { fetching.delete(manifest) }
  }
}
