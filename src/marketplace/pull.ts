/** Reading a protocol's history from the network (hashes verified) and pulling it. */
import { CID } from 'multiformats/cid'
import * as C from './constants.js'
import { announceRecord } from './announce.js'
import { ProtocolNotFoundError } from './errors.js'
import { fetchObject } from './fetch.js'
import { decodeVersionBlock, isCid } from './objects.js'
import { resolveRef } from './resolve.js'
import type { MarketContext } from './context.js'
import type { HistoryResult, PulledVersion, PullOptions, PullResult } from './types.js'
import type { Block } from './publish.js'
import type { ProtocolRecord } from './record.js'
import type { AbortOptions } from '@libp2p/interface'

/** A history from its head, newest first: objects held here, else fetched (preferred peers first). */
async function walk (ctx: MarketContext, head: string, prefer: string[], options: AbortOptions): Promise<PulledVersion[]> {
  const versions: PulledVersion[] = []
  let cid: string | null = head
  const get = async (c: string): Promise<Uint8Array> => {
    const local = await ctx.store.getObject(c)
    if (local != null) return local
    const bytes = await fetchObject(ctx.host, ctx.routing, c, ctx.log, { prefer, signal: options.signal })
    await ctx.store.putObject(c, bytes)
    return bytes
  }
  while (cid != null && versions.length < C.MAX_HISTORY) {
    const bytes = await get(cid)
    const v = decodeVersionBlock(cid, bytes)
    if (versions.length > 0 && (v.path !== versions[0].path || v.seq !== versions[versions.length - 1].seq - 1)) {
      throw new ProtocolNotFoundError(`${head}: its history is not one file's chain`)
    }
    const contentBytes = await get(v.content)
    versions.push({ ...v, bytes, contentBytes })
    cid = v.parent
  }
  return versions
}

/** A protocol's history by reference or head CID. */
export async function readHistory (ctx: MarketContext, ref: string, signal: AbortSignal): Promise<HistoryResult> {
  let record: ProtocolRecord | undefined
  let head: string
  let prefer: string[] = []
  let holders: string[] = []
  if (isCid(ref)) {
    head = CID.parse(ref).toString()
  } else {
    const resolved = await resolveRef(ctx, ref, { signal })
    record = resolved.record
    holders = resolved.holders
    head = record.value.version
    prefer = [...new Set([record.publisher, ...resolved.holders])].filter(p => p !== ctx.self)
  }
  const versions = await walk(ctx, head, prefer, { signal })
  const newest = versions[0]
  const name = record?.name ?? newest.path.split('/').pop()?.replace(/\.(ya?ml)$/, '') ?? newest.path
  if (record != null && newest.path !== record.value.file) throw new ProtocolNotFoundError(`${ref}: its version names "${newest.path}", its record "${record.value.file}"`)
  return { publisher: record?.publisher, name, file: newest.path, versions, record, holders }
}

/** The repository blocks of pulled versions: what `Repository.importVersions` takes. */
export function blocksOf (versions: PulledVersion[]): { records: Block[], contents: Block[] } {
  const contents = new Map<string, Block>()
  for (const v of versions) contents.set(v.content, { cid: v.content, bytes: v.contentBytes })
  return { records: versions.map(v => ({ cid: v.cid, bytes: v.bytes })), contents: [...contents.values()] }
}

/** Pulls a protocol: keeps its history here, announces it (this node serves it now), imports it into the repository. */
export async function pull (ctx: MarketContext, ref: string, options: PullOptions = {}): Promise<PullResult> {
  const signal = ctx.deadline(options, C.PULL_TIMEOUT)
  const { record, versions, name } = await readHistory(ctx, ref, signal)
  const newest = versions[0]
  if (record != null) await ctx.store.putEntry({ record, own: false })
  let selected = newest
  if (options.version != null) {
    const v = String(options.version)
    const found = /^\d+$/.test(v) ? versions.find(x => x.seq === Number(v)) : versions.find(x => x.cid === v || (v.length >= 8 && x.cid.startsWith(v)))
    if (found == null) throw new ProtocolNotFoundError(`${ref} version ${v}`)
    selected = found
  }
  const cids = versions.flatMap(v => [CID.parse(v.cid), CID.parse(v.content)])
  if (record != null) await announceRecord(ctx, record, cids, { signal, headFirst: true })
  else await ctx.routing.announce(cids, { signal })
  if (ctx.repo != null) {
    const { records, contents } = blocksOf(versions)
    await ctx.repo.importVersions(records, contents, { signal })
  }
  return { publisher: record?.publisher, name, file: newest.path, selected, versions, record }
}
