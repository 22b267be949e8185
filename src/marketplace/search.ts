/**
 * Keyword search: local matching, ranking, and the network search that asks every provider of
 * every keyword directly, merging answers as they come.
 */
import { encodeRecord, keywordCid, normaliseKeywords } from '../net/records.js'
import { request } from '../net/rpc.js'
import { channel, limiter } from './channel.js'
import * as C from './constants.js'
import { decodeSearchAnswer } from './wire.js'
import type { Entry } from './store.js'
import type { ProtocolRecord, ProtocolRecordValue } from './record.js'
import type { RecordNamespace } from '../net/records.js'
import type { Host } from '../net/host.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

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

/**
 * How many query keywords an entry matches: a query keyword matches a keyword of the entry
 * exactly, or (when at least PREFIX_LENGTH long) as its prefix (`covid` matches `covid19`).
 */
export function matchCount (value: ProtocolRecordValue, name: string, query: string[]): number {
  return matchOf(value, name, query).matched
}

/** Query keywords matched (exactly or as a prefix) and matched exactly. */
export function matchOf (value: ProtocolRecordValue, name: string, query: string[]): { matched: number, exact: number } {
  const own = new Set([...value.keywords, ...normaliseKeywords(name)])
  let matched = 0
  let exact = 0
  for (const word of query) {
    if (own.has(word)) {
      matched++
      exact++
    } else if (word.length >= C.PREFIX_LENGTH) {
      for (const k of own) {
        if (k.startsWith(word)) { matched++; break }
      }
    }
  }
  return { matched, exact }
}

/** The prefix key under which holders of keywords starting like `word` provide (none for short words). */
export function prefixKeyOf (word: string): string | undefined {
  return word.length >= C.PREFIX_LENGTH ? word.slice(0, C.PREFIX_LENGTH) : undefined
}

/** The prefix keys a protocol with these keywords is provided under. */
export function prefixKeys (keywords: string[]): string[] {
  return [...new Set(keywords.filter(k => k.length > C.PREFIX_LENGTH).map(k => k.slice(0, C.PREFIX_LENGTH)))]
}

/** The entries held locally that match any of the keywords, best first, at most `limit`. */
export function matchEntries (entries: Iterable<Entry>, query: string[], limit: number): Entry[] {
  const scored: Array<{ entry: Entry, n: number, exact: number }> = []
  for (const entry of entries) {
    const { matched, exact } = matchOf(entry.record.value, entry.record.name, query)
    if (matched > 0) scored.push({ entry, n: matched, exact })
  }
  scored.sort((a, b) => b.n - a.n || b.exact - a.exact || b.entry.record.time - a.entry.record.time)
  return scored.slice(0, limit).map(s => s.entry)
}

/**
 * Ranking: entries matching all keywords first; then more keywords matched; then more of them
 * matched exactly (not as a prefix); then an exact name match; then more holders; then the most recent.
 */
export function rankHits (hits: SearchHit[], query: string[]): SearchHit[] {
  const all = (h: SearchHit): number => h.matched >= query.length ? 1 : 0
  const exact = (h: SearchHit): number => query.includes(h.name.toLowerCase()) ? 1 : 0
  return [...hits].sort((a, b) => all(b) - all(a) || b.matched - a.matched || (b.exact ?? b.matched) - (a.exact ?? a.matched) || exact(b) - exact(a) ||
    b.holders.length - a.holders.length || b.time - a.time)
}

export function hitOf (record: ProtocolRecord, holders: string[], query: string[]): SearchHit {
  const v = record.value
  return {
    publisher: record.publisher,
    name: record.name,
    user: v.user,
    file: v.file,
    version: v.version,
    versions: v.versions,
    description: v.description,
    keywords: v.keywords,
    time: record.time,
    seq: record.seq,
    holders,
    ...matchOf(v, record.name, query),
    record
  }
}

export interface NetworkSearchContext {
  host: Host
  records: RecordNamespace<ProtocolRecordValue>
  localEntries: () => Iterable<Entry>
  log: Logger
}

export interface SearchOptions extends AbortOptions {
  /** Whole search deadline (ms). */
  timeout?: number
  /** One peer's deadline (ms). */
  peerTimeout?: number
  limit?: number
}

/**
 * Searches the network: providers of each keyword are asked directly (at most
 * SEARCH_CONCURRENCY at once, each with a deadline); answers are verified record by record,
 * merged by publisher/name (highest seq wins, holders accumulate) and yielded as they change.
 * Ends at the deadline with what it has; dead, slow or lying peers only lose their answers.
 */
export async function * searchNetwork (ctx: NetworkSearchContext, words: string[], options: SearchOptions = {}): AsyncGenerator<SearchHit> {
  const query = normaliseKeywords(...words).slice(0, C.MAX_QUERY_KEYWORDS)
  if (query.length === 0) return
  const timeout = AbortSignal.timeout(options.timeout ?? C.SEARCH_TIMEOUT)
  const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
  const self = ctx.host.peerId.toString()
  const hits = new Map<string, SearchHit>()
  const out = channel<SearchHit>()

  function merge (record: ProtocolRecord, holder: string): void {
    const id = `${record.publisher}/${record.name}`
    const held = hits.get(id)
    const holders = held == null ? [holder] : held.holders.includes(holder) ? held.holders : [...held.holders, holder]
    const best = held == null || record.seq > held.seq ? record : held.record
    const hit = hitOf(best, holders, query)
    if (hit.matched === 0) return
    hits.set(id, hit)
    out.push(hit)
  }

  for (const entry of matchEntries(ctx.localEntries(), query, options.limit ?? C.MAX_SEARCH_ANSWERS)) merge(entry.record, self)

  const asked = new Set<string>([self])
  const limit = limiter(C.SEARCH_CONCURRENCY)
  const asks: Array<Promise<void>> = []

  const ask = async (peer: PeerId): Promise<void> => limit(async () => {
    if (signal.aborted) return
    try {
      const peerSignal = AbortSignal.any([signal, AbortSignal.timeout(options.peerTimeout ?? C.SEARCH_PEER_TIMEOUT)])
      const answer = await request(ctx.host, peer, C.SEARCH_PROTOCOL, { keywords: query, limit: options.limit ?? C.MAX_SEARCH_ANSWERS },
        decodeSearchAnswer, { signal: peerSignal, maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
      for (const { record } of answer.entries) {
        try {
          const bytes = new Uint8Array(Buffer.from(record, 'base64'))
          const checked = await ctx.records.check(ctx.records.key(peerIdOf(bytes), nameOf(bytes)), bytes)
          merge(checked, peer.toString())
        } catch (err: any) {
          ctx.log('search: dropped a bad entry from %p: %s', peer, err?.message)
        }
      }
    } catch (err: any) {
      ctx.log('search: %p did not answer: %s', peer, err?.message)
    }
  })

  const lookup = async (word: string, cid: CID): Promise<void> => {
    try {
      for await (const event of ctx.host.services.dht.findProviders(cid, { signal })) {
        if (event.name !== 'PROVIDER') continue
        for (const provider of event.providers) {
          const id = provider.id.toString()
          if (asked.has(id)) continue
          asked.add(id)
          if (provider.multiaddrs.length > 0) await ctx.host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
          asks.push(ask(provider.id))
        }
      }
    } catch (err: any) {
      ctx.log('search: provider lookup for "%s" ended: %s', word, err?.message)
    }
  }

  // the providers of each word first; then, with what time is left, those of the prefix keys
  // of the longer words (prefix matches rank below exact ones anyway)
  const prefixes = [...new Set(query.map(prefixKeyOf).filter(p => p != null))]
  const lookups = [(async () => {
    await Promise.allSettled(query.map(async word => { await lookup(word, keywordCid(C.PROTOCOL_NAMESPACE, word)) }))
    if (signal.aborted) return
    await Promise.allSettled(prefixes.map(async prefix => { await lookup(`${prefix}*`, keywordCid(C.PROTOCOL_PREFIX_NAMESPACE, prefix)) }))
  })()]

  void (async () => {
    await Promise.allSettled(lookups)
    // asks may be added while earlier ones settle
    let settled = 0
    while (settled < asks.length) {
      const batch = asks.slice(settled)
      await Promise.allSettled(batch)
      settled += batch.length
    }
    out.end()
  })()
  const onAbort = (): void => { out.end() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    yield * out
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Runs a network search to its end and returns the ranked hits. */
export async function searchRanked (ctx: NetworkSearchContext, words: string[], options: SearchOptions = {}): Promise<SearchHit[]> {
  const latest = new Map<string, SearchHit>()
  for await (const hit of searchNetwork(ctx, words, options)) latest.set(`${hit.publisher}/${hit.name}`, hit)
  const query = normaliseKeywords(...words)
  return rankHits([...latest.values()], query).slice(0, options.limit ?? Infinity)
}

function payloadOf (bytes: Uint8Array): any {
  try { return JSON.parse(JSON.parse(new TextDecoder().decode(bytes)).payload) } catch { return {} }
}
function peerIdOf (bytes: Uint8Array): string { return String(payloadOf(bytes).publisher ?? '') }
function nameOf (bytes: Uint8Array): string { return String(payloadOf(bytes).name ?? '') }

/** The search answer for local entries. */
export function searchAnswer (entries: Iterable<Entry>, words: string[], limit: number): { entries: Array<{ record: string }> } {
  const query = normaliseKeywords(...words)
  return fitAnswer(matchEntries(entries, query, limit))
}

/** The best entries first, as many as fit in a search answer (under MAX_SEARCH_MESSAGE_BYTES). */
export function fitAnswer (entries: Entry[]): { entries: Array<{ record: string }> } {
  const out: Array<{ record: string }> = []
  let size = 64
  for (const e of entries) {
    const record = Buffer.from(encodeRecord(e.record)).toString('base64')
    size += record.length + 16
    if (size > C.MAX_SEARCH_MESSAGE_BYTES * 0.9) break
    out.push({ record })
  }
  return { entries: out }
}

