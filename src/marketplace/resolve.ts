/** Resolving a protocol reference to its signed record and the peers that hold it. */
import { peerIdFromString } from '@libp2p/peer-id'
import { getRecord } from '../net/records.js'
import * as C from './constants.js'
import { AmbiguousNameError, ProtocolNotFoundError } from './errors.js'
import { listPublisher } from './listing.js'
import { splitQualified } from './objects.js'
import { searchRanked } from './search.js'
import type { MarketContext } from './context.js'
import type { ProtocolRecord } from './record.js'
import type { AbortOptions } from '@libp2p/interface'

export interface Resolved { record: ProtocolRecord, holders: string[] }

function isPeerId (text: string): boolean {
  try { peerIdFromString(text); return true } catch { return false }
}

/** How a reference's name is matched: exactly, or (a bare name) also as a user's protocol of that name. */
function matcher (full: string): { bare: string, matches: (name: string) => boolean, pick: (candidates: ProtocolRecord[]) => ProtocolRecord | undefined } {
  const { name: bare } = splitQualified(full)
  const qualified = full.includes('/')
  const matches = (name: string): boolean => name === full || (!qualified && splitQualified(name).name === bare)
  // the exact name wins; else the candidates must all be one protocol (its newest record)
  const pick = (candidates: ProtocolRecord[]): ProtocolRecord | undefined => {
    const exact = candidates.filter(r => r.name === full)
    const ids = [...new Set((exact.length > 0 ? exact : candidates).map(r => `${r.publisher}/${r.name}`))]
    if (ids.length > 1) throw new AmbiguousNameError(full, [...new Set(candidates.map(r => r.publisher))], ids)
    return (exact.length > 0 ? exact : candidates).sort((a, b) => b.seq - a.seq)[0]
  }
  return { bare, matches, pick }
}

/**
 * A publisher's protocol: its DHT record (or the newer one held here); when the DHT does not
 * answer, the publisher's own listing; when the publisher is away, those who pulled it.
 */
async function resolveAt (ctx: MarketContext, ref: string, publisher: string, full: string, signal: AbortSignal): Promise<Resolved> {
  const { bare, matches, pick } = matcher(full)
  const local = ctx.store.entry(publisher, full)
  try {
    const found = await getRecord(ctx.host, ctx.records, publisher, full, { signal })
    return { record: local != null && local.record.seq > found.seq ? local.record : found, holders: [publisher] }
  } catch {
    if (local != null) return { record: local.record, holders: [publisher] }
    // the DHT did not answer (or there is no admin's protocol of that name): ask the publisher itself
    const listed = await listPublisher(ctx, publisher, { signal }).catch(() => [] as ProtocolRecord[])
    const held = [...ctx.store.entries()].filter(e => e.record.publisher === publisher).map(e => e.record)
    const found = pick([...listed, ...held].filter(r => matches(r.name)))
    if (found != null) return { record: found, holders: [publisher] }
    // the publisher is away: those who pulled it answer searches for it
    const hits = listed.length > 0 || signal.aborted
      ? []
      : (await searchRanked(ctx, [bare], { signal }).catch(() => [])).filter(h => h.publisher === publisher && matches(h.name))
    const hit = hits.find(h => h.record === pick(hits.map(x => x.record)))
    if (hit != null) return { record: hit.record, holders: hit.holders }
    throw new ProtocolNotFoundError(ref)
  }
}

/**
 * Resolves `<publisher>/<user>/<name>`, `<publisher>/<name>` (that node's admin's, else the one
 * user of that node who published the name), `<user>/<name>` or a bare `<name>` (searched; must
 * be unambiguous).
 */
export async function resolveRef (ctx: MarketContext, ref: string, options: AbortOptions = {}): Promise<Resolved> {
  const signal = ctx.deadline(options, C.PULL_TIMEOUT)
  const parts = String(ref).split('/')
  let publisher: string | undefined
  if (parts.length >= 2 && isPeerId(parts[0])) publisher = parts.shift()
  if (parts.length > 2) throw new ProtocolNotFoundError(`${ref} (not <publisher>/<user>/<name>)`)
  const full = parts.join('/')
  if (publisher != null) return await resolveAt(ctx, ref, publisher, full, signal)
  const { bare, matches, pick } = matcher(full)
  const own = ctx.store.entry(ctx.self, full)
  if (own?.own === true) return { record: own.record, holders: [ctx.self] }
  const hits = (await searchRanked(ctx, [bare], { signal })).filter(h => matches(h.name))
  if (hits.length === 0) {
    const held = pick([...ctx.store.entries()].map(e => e.record).filter(r => matches(r.name)))
    if (held != null) return { record: held, holders: [ctx.self] }
    throw new ProtocolNotFoundError(`named "${full}"`)
  }
  const chosen = pick(hits.map(h => h.record))
  const hit = hits.find(h => h.record === chosen) ?? hits[0]
  return { record: hit.record, holders: hit.holders }
}
