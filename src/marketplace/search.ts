/**
 * Keyword search: local matching, ranking, and the network search that asks every provider of
 * every keyword directly, merging answers as they come.
 */
import { encodeRecord, normaliseKeywords } from '../net/records.js'
import { request } from '../net/rpc.js'
import * as C from './constants.js'
import { keywordKey, prefixKey, prefixKeyOf } from './keys.js'
import { checkAnswer, decodeSearchAnswer } from './wire.js'
import type { MarketContext } from './context.js'
import type { SearchHit, SearchOptions } from './types.js'
import type { Entry } from './store.js'
import type { ProtocolRecord, ProtocolRecordValue } from './record.js'


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


/**
 * Searches the network: providers of each keyword (and of the prefix keys of the longer
 * words) are asked directly, at most SEARCH_CONCURRENCY at once, each with
 * a deadline; answers are verified record by record, merged by publisher/name (highest seq
 * wins, holders accumulate) and yielded as they change. Ends when the DHT lookups converged and
 * every provider they named answered, or at the deadline with what it has, also when the
 * caller's signal aborts; dead, slow or lying peers only lose their answers.
 */
export async function * searchNetwork (ctx: MarketContext, words: string[], options: SearchOptions = {}): AsyncGenerator<SearchHit> {
  const query = normaliseKeywords(...words).slice(0, C.MAX_QUERY_KEYWORDS)
  if (query.length === 0) return
  const limit = options.limit ?? C.MAX_SEARCH_ANSWERS
  const hits = new Map<string, SearchHit>()
  const merge = (record: ProtocolRecord, holder: string): SearchHit | undefined => {
    const id = `${record.publisher}/${record.name}`
    const held = hits.get(id)
    const holders = held == null ? [holder] : held.holders.includes(holder) ? held.holders : [...held.holders, holder]
    const hit = hitOf(held == null || record.seq > held.seq ? record : held.record, holders, query)
    if (hit.matched === 0) return undefined
    hits.set(id, hit)
    return hit
  }

  for (const entry of matchEntries(ctx.store.entries(), query, limit)) {
    const hit = merge(entry.record, ctx.self)
    if (hit != null) yield hit
  }
  const timeout = options.timeout ?? ctx.init.searchTimeout ?? C.SEARCH_TIMEOUT
  const answers = ctx.routing.discover({
    keys: query.map(keywordKey),
    // prefix keys are looked up once the keywords' lookups ended (their matches rank below exact ones)
    thenKeys: [...new Set(query.map(prefixKeyOf).filter(p => p != null))].map(prefixKey),
    ask: async (peer, { signal }) => {
      const answer = await request(ctx.host, peer, C.SEARCH_PROTOCOL, { keywords: query, limit }, decodeSearchAnswer, { signal, maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
      return await checkAnswer(ctx.records, answer, peer.toString(), ctx.log)
    }
  }, {
    signal: options.signal,
    timeout,
    findTimeout: timeout,
    peerTimeout: options.peerTimeout ?? ctx.init.searchPeerTimeout ?? C.SEARCH_PEER_TIMEOUT,
    concurrency: C.SEARCH_CONCURRENCY
  })
  try {
    for await (const { peer, value } of answers) {
      const hit = merge(value, peer.toString())
      if (hit != null) yield hit
    }
  } catch (err) {
    // the caller stopped asking: the search ends with what it yielded
    if (options.signal?.aborted !== true) throw err
  }
}

/** Runs a network search to its end and returns the ranked hits. */
export async function searchRanked (ctx: MarketContext, words: string[], options: SearchOptions = {}): Promise<SearchHit[]> {
  const latest = new Map<string, SearchHit>()
  for await (const hit of searchNetwork(ctx, words, options)) latest.set(`${hit.publisher}/${hit.name}`, hit)
  const query = normaliseKeywords(...words)
  return rankHits([...latest.values()], query).slice(0, options.limit ?? Infinity)
}

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

