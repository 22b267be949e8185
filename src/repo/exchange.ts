import { validateProtocol } from '../protocol/index.js'
import { JSON_CODEC, RAW_CODEC } from './constants.js'
import { ImportVerificationError } from './errors.js'
import { historyKey, historyOf, readVersion } from './history.js'
import { decodeVersion } from './records.js'
import { cidOf, parseCid } from './store.js'
import type { RepoContext } from './context.js'
import type { Version } from './records.js'
import type { Op } from './store.js'
import type { Block, ImportOptions, ImportResult } from './types.js'

/** Blocks that carry a file's history: version records and the contents they name. */
export interface VersionBundle {
  /** The newest version exported. */
  head: string
  records: Block[]
  contents: Block[]
}

/**
 * The history of `head` (a version), newest first, down to (not including) `since`:
 * what another repository needs to import it.
 */
export async function exportVersions (ctx: RepoContext, head: Version, since?: string, signal?: AbortSignal): Promise<VersionBundle> {
  const bundle: VersionBundle = { head: head.cid, records: [], contents: [] }
  const seen = new Set<string>()
  for (const version of await historyOf(ctx.store, head, { signal })) {
    if (version.cid === since) break
    bundle.records.push({ cid: version.cid, bytes: await ctx.store.getObject(version.cid) })
    if (!seen.has(version.content)) {
      seen.add(version.content)
      bundle.contents.push({ cid: version.content, bytes: await ctx.store.getObject(version.content) })
    }
  }
  return bundle
}

/**
 * Stores versions received from elsewhere after checking every block against its CID, every
 * record's shape, every chain (parents present here or in the import, same path, seq + 1) and,
 * unless `validate: false`, every content as a protocol. All or nothing. A file's head moves
 * forward when the imported versions extend it; otherwise the path is reported as diverged.
 */
export async function importVersions (ctx: RepoContext, records: Block[], contents: Block[], options: ImportOptions = {}): Promise<ImportResult> {
  const { store } = ctx
  const incoming = new Map<string, Version>()
  for (const block of records) {
    if (!parseCid(block.cid, JSON_CODEC)) throw new ImportVerificationError(`${String(block.cid).slice(0, 100)} is not a version CID`, { cid: block.cid })
    if (cidOf(block.bytes, JSON_CODEC) !== block.cid) throw new ImportVerificationError(`record ${block.cid} does not match its CID`, { cid: block.cid })
    const version = decodeVersion(block.cid, block.bytes)
    if (typeof version === 'string') throw new ImportVerificationError(`record ${block.cid}: ${version}`, { cid: block.cid })
    incoming.set(version.cid, version)
  }
  const bytesOf = new Map<string, Uint8Array>()
  for (const block of contents) {
    if (!parseCid(block.cid, RAW_CODEC) || cidOf(block.bytes) !== block.cid) throw new ImportVerificationError(`content ${String(block.cid).slice(0, 100)} does not match its CID`, { cid: block.cid })
    bytesOf.set(block.cid, block.bytes)
  }

  const ops: Op[] = []
  const result: ImportResult = { imported: [], updated: {}, diverged: [] }
  const lookup = async (cid: string): Promise<Version | undefined> => incoming.get(cid) ?? (await store.get(store.versions, cid) != null ? await readVersion(store, cid) : undefined)
  for (const version of incoming.values()) {
    options.signal?.throwIfAborted()
    await checkVersion(ctx, version, bytesOf, lookup, options)
    if (await store.get(store.versions, version.cid) != null) continue
    const content = bytesOf.get(version.content)
    if (content != null && !await store.hasObject(version.content)) ops.push({ type: 'put', sublevel: store.objects, key: version.content, value: content })
    ops.push(
      { type: 'put', sublevel: store.objects, key: version.cid, value: encodeBlock(records, version.cid) },
      { type: 'put', sublevel: store.versions, key: version.cid, value: version.path },
      { type: 'put', sublevel: store.history, key: historyKey(version), value: '' }
    )
    result.imported.push(version.cid)
  }
  await moveHeads(ctx, incoming, lookup, ops, result)
  await store.write(ops)
  return result
}

function encodeBlock (records: Block[], cid: string): Uint8Array {
  return records.find(r => r.cid === cid)?.bytes as Uint8Array
}

async function checkVersion (ctx: RepoContext, version: Version, bytesOf: Map<string, Uint8Array>, lookup: (cid: string) => Promise<Version | undefined>, options: ImportOptions): Promise<void> {
  const content = bytesOf.get(version.content) ?? (await ctx.store.hasObject(version.content) ? await ctx.store.getObject(version.content) : undefined)
  if (content == null) throw new ImportVerificationError(`content ${version.content} of version ${version.cid} is missing`, { cid: version.cid })
  if (content.byteLength !== version.size) throw new ImportVerificationError(`version ${version.cid} gives a size its content does not have`, { cid: version.cid })
  if (version.parent != null) {
    const parent = await lookup(version.parent)
    if (parent == null) throw new ImportVerificationError(`parent ${version.parent} of version ${version.cid} is missing`, { cid: version.cid })
    if (parent.path !== version.path || parent.seq !== version.seq - 1) throw new ImportVerificationError(`version ${version.cid} does not follow its parent`, { cid: version.cid })
  }
  if (options.validate !== false && bytesOf.has(version.content)) {
    const validation = validateProtocol(content, { file: version.path, maxBytes: ctx.maxFileBytes })
    if (!validation.ok) throw new ImportVerificationError(`version ${version.cid} of ${version.path} is not a valid protocol: ${validation.errors[0]?.message ?? ''}`, { cid: version.cid, errors: validation.errors })
  }
}

/** Moves each path's head to the newest imported version when that extends the local head. */
async function moveHeads (ctx: RepoContext, incoming: Map<string, Version>, lookup: (cid: string) => Promise<Version | undefined>, ops: Op[], result: ImportResult): Promise<void> {
  const { store } = ctx
  const parents = new Set([...incoming.values()].map(v => v.parent))
  const tips = new Map<string, Version>()
  for (const version of incoming.values()) {
    if (parents.has(version.cid)) continue
    const best = tips.get(version.path)
    if (best == null || version.seq > best.seq || (version.seq === best.seq && version.cid < best.cid)) tips.set(version.path, version)
  }
  for (const [path, tip] of tips) {
    const localCid = await store.get(store.heads, path)
    if (localCid === tip.cid) continue
    if (localCid == null) {
      ops.push({ type: 'put', sublevel: store.heads, key: path, value: tip.cid })
      result.updated[path] = tip.cid
      continue
    }
    const local = await readVersion(store, localCid)
    if (await isAncestor(local, tip, lookup)) {
      ops.push({ type: 'put', sublevel: store.heads, key: path, value: tip.cid })
      result.updated[path] = tip.cid
    } else if (!await isAncestor(tip, local, lookup)) {
      result.diverged.push({ path, local: local.cid, remote: tip.cid })
    }
  }
}

async function isAncestor (older: Version, newer: Version, lookup: (cid: string) => Promise<Version | undefined>): Promise<boolean> {
  let version: Version | undefined = newer
  while (version != null && version.seq > older.seq) {
    version = version.parent == null ? undefined : await lookup(version.parent)
  }
  return version?.cid === older.cid
}
