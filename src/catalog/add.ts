/** Adding an entry: ingest its files into the blob store, record it, announce it. */
import { announceEntry } from './announce.js'
import { EntryExistsError } from './errors.js'
import { checkUploadName, ingestFile, ingestFiles, ingestPath, storeManifest } from './manifest.js'
import { parseKind, validateMetadata } from './schema.js'
import type { CatalogContext, AddOptions, AddSource } from './types.js'
import type { IngestResult, Manifest } from './manifest.js'
import type { EntryKind } from './schema.js'
import type { CatalogEntry } from './store.js'

/** Deletes blobs of a failed add that no entry (nor anything else on the node) uses. */
async function undo (ctx: CatalogContext, cids: Iterable<string>): Promise<void> {
  for (const cid of cids) {
    if ((await ctx.store.users(cid)).length === 0 && await ctx.blobInUse?.(cid) !== true) await ctx.blobs.delete(cid).catch(() => {})
  }
}

/** Records an entry with the blobs it uses and announces it. */
export async function register (ctx: CatalogContext, entry: CatalogEntry, cids: string[]): Promise<CatalogEntry> {
  await ctx.store.put(entry, cids)
  ctx.log('added %s %s (%s)', entry.kind, entry.name, entry.manifest)
  await announceEntry(ctx.routing, entry)
  return entry
}

/** The stored entry for checked metadata and an ingested (or fetched) manifest. */
export function entryOf (kind: EntryKind, metadata: ReturnType<typeof validateMetadata>, ingest: { manifest: Manifest, manifestCid: string }, extra: Partial<CatalogEntry> = {}): CatalogEntry {
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

async function ingest (ctx: CatalogContext, source: AddSource, cids: Set<string>, options: AddOptions): Promise<IngestResult> {
  if ('path' in source) return await ingestPath(ctx.blobs, source.path, cids, options)
  if ('files' in source) return await ingestFiles(ctx.blobs, source.files, cids, options)
  const file = await ingestFile(ctx.blobs, source.stream, source.filename, cids, options)
  return await storeManifest(ctx.blobs, [file], cids, options)
}

/** Adds an entry from a path, an uploaded stream or uploaded files; stores nothing on failure. */
export async function addEntry (ctx: CatalogContext, kind: EntryKind, source: AddSource, input: unknown, options: AddOptions = {}): Promise<CatalogEntry> {
  const metadata = validateMetadata(parseKind(kind), input)
  if ('filename' in source) checkUploadName(source.filename)
  const owner = options.owner == null ? {} : { owner: options.owner }
  const taken = async (): Promise<void> => {
    const existing = await ctx.store.get(kind, metadata.name)
    if (existing != null) throw new EntryExistsError(kind, metadata.name, existing.owner ?? 'admin')
  }
  await taken()
  const cids = new Set<string>()
  try {
    const result = await ingest(ctx, source, cids, options)
    // the name may have been taken while the files were stored
    await taken()
    return await register(ctx, entryOf(kind, metadata, { manifest: result.manifest, manifestCid: result.manifestCid.toString() }, owner), result.cids)
  } catch (err) {
    await undo(ctx, cids)
    throw err
  }
}
