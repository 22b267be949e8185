import fs from 'node:fs/promises'
import path from 'node:path'
import { parseBlobCid } from '../storage/cid.js'
import type { ContentResolver, LocalContent } from './types.js'
import type { Catalog } from '../catalog/index.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * The jobs component's view of the catalog: `resolve` finds an entry this node holds (by
 * `#tag`, name or manifest CID) and gives it a directory of read-only symlinks to its blobs
 * (`<viewDir>/<kind>/<manifest CID>/<file path>`), which jobs reach through
 * `PAIP_DATASET_DIR` / `PAIP_MODEL_DIR`; `findHolders` asks the grid which nodes hold it.
 */
function asCid (ref: string): string | undefined {
  try { return parseBlobCid(ref).toString() } catch { return undefined }
}

/** How long one look through the catalog's blobs answers `blobInUse` (ms). */
const CATALOG_BLOBS_TTL = 10_000

export function catalogResolver (catalog: Catalog, kind: 'dataset' | 'model', viewDir: string): ContentResolver {
  async function entryOf (ref: string): Promise<Awaited<ReturnType<Catalog['get']>> | undefined> {
    if (ref.startsWith('#')) return (await catalog.list(kind, { tag: ref.toLowerCase() }))[0]
    try { return await catalog.get(kind, ref) } catch (err: any) {
      if (err?.kind === 'not-found' || err?.kind === 'invalid-input') return undefined
      throw err
    }
  }

  async function view (manifest: string, files: Array<{ path: string, blobPath: string }>): Promise<string> {
    const dir = path.join(viewDir, kind, manifest)
    for (const file of files) {
      const target = path.resolve(dir, file.path)
      if (!target.startsWith(dir + path.sep)) continue // a manifest path never leaves the view
      await fs.mkdir(path.dirname(target), { recursive: true })
      try { await fs.symlink(file.blobPath, target) } catch (err: any) { if (err?.code !== 'EEXIST') throw err }
    }
    await fs.mkdir(dir, { recursive: true })
    return dir
  }

  return {
    async resolve (ref: string, options?: AbortOptions): Promise<LocalContent | undefined> {
      const entry = await entryOf(ref)
      if (entry == null) return undefined
      const resolved = await catalog.resolve(kind, entry.manifest, options)
      const entrypoint = (entry as { entrypoint?: unknown }).entrypoint
      return {
        id: entry.manifest,
        name: entry.name,
        cid: entry.manifest,
        tags: entry.tags,
        dir: await view(entry.manifest, resolved.files),
        ...(typeof entrypoint === 'string' ? { entrypoint } : {})
      }
    },
    async findHolders (ref: string, options?: AbortOptions): Promise<string[]> {
      const cid = asCid(ref)
      const results = await catalog.search(kind, cid == null ? [ref] : [], { signal: options?.signal, remoteOnly: true, ...(cid == null ? {} : { manifests: [cid] }) })
      const matching = results.filter(r => cid == null ? r.all : r.entry.manifest === cid)
      return [...new Set(matching.filter(r => !r.node.self).map(r => r.node.peerId))]
    }
  }
}

/** Asks `first` (when given), then `then`. */
function firstOf (first: ContentResolver | undefined, then: ContentResolver): ContentResolver {
  if (first == null) return then
  return {
    ...then,
    async resolve (ref, options) { return await first.resolve(ref, options) ?? await then.resolve(ref, options) }
  }
}

/** Whether a blob is part of a catalog entry (its manifest or one of its files). */
function catalogBlobs (catalog: Catalog): (cid: string) => Promise<boolean> {
  let held: { at: number, cids: Promise<Set<string>> } | undefined
  async function collect (): Promise<Set<string>> {
    const cids = new Set<string>()
    for (const kind of ['dataset', 'model'] as const) {
      for (const entry of await catalog.list(kind)) {
        cids.add(entry.manifest)
        for (const file of (await catalog.resolve(kind, entry.manifest)).files) cids.add(file.cid)
      }
    }
    return cids
  }
  return async cid => {
    // one deletion asks about many blobs at once: look the catalog through once for them all
    if (held == null || Date.now() - held.at > CATALOG_BLOBS_TTL) held = { at: Date.now(), cids: collect() }
    return (await held.cids).has(cid)
  }
}

/** The jobs components that come from the catalog (fields as in `JobsComponents`). */
export interface CatalogContent {
  datasets: ContentResolver
  models: ContentResolver
  blobInUse: (cid: string) => Promise<boolean>
  onContentRemoved: (listener: (cid: string) => Promise<void>) => () => void
}

/**
 * The jobs components that come from the catalog: its datasets and models (with a view
 * directory of their files under `viewDir`; `content` is asked for a model first), whether a
 * blob is still the catalog's, and its deletions (which stop their jobs and remove their
 * outputs).
 */
export function catalogContent (catalog: Catalog, viewDir: string, content?: ContentResolver): CatalogContent {
  return {
    datasets: catalogResolver(catalog, 'dataset', viewDir),
    models: firstOf(content, catalogResolver(catalog, 'model', viewDir)),
    blobInUse: catalogBlobs(catalog),
    onContentRemoved: listener => catalog.onRemove(async entry => { await listener(entry.manifest) })
  }
}
