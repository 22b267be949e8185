/** Messages of the marketplace stream protocols, checked at the edge. */
import { MAX_QUERY_KEYWORDS, MAX_SEARCH_ANSWERS } from './constants.js'
import type { ProtocolRecord, ProtocolRecordValue } from './record.js'
import type { RecordNamespace } from '../net/records.js'
import type { Logger } from '@libp2p/interface'

/** `all`: every entry this node published itself (a publisher's listing), keywords ignored. */
export interface SearchRequest { keywords: string[], limit: number, all?: boolean }
/** One entry a peer holds: its signed protocol record (base64 of the DHT record bytes). */
export interface SearchAnswer { entries: Array<{ record: string }> }
export interface FetchRequest { cid: string }
export interface FetchAnswer { data: string }

export function decodeSearchRequest (v: unknown): SearchRequest {
  const x = v as any
  if (x?.all === true) {
    const limit = x.limit ?? MAX_SEARCH_ANSWERS
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error('limit must be a positive integer')
    return { keywords: [], limit: Math.min(limit, MAX_SEARCH_ANSWERS), all: true }
  }
  if (!Array.isArray(x?.keywords) || x.keywords.length === 0 || x.keywords.length > MAX_QUERY_KEYWORDS ||
    !x.keywords.every((k: unknown) => typeof k === 'string' && k.length > 0 && k.length <= 64)) {
    throw new Error(`keywords must be 1 to ${MAX_QUERY_KEYWORDS} short strings`)
  }
  const limit = x.limit ?? MAX_SEARCH_ANSWERS
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error('limit must be a positive integer')
  return { keywords: x.keywords, limit: Math.min(limit, MAX_SEARCH_ANSWERS) }
}

export function decodeSearchAnswer (v: unknown): SearchAnswer {
  const x = v as any
  if (!Array.isArray(x?.entries) || x.entries.length > MAX_SEARCH_ANSWERS) throw new Error('entries must be a short array')
  return { entries: x.entries.filter((e: any) => typeof e?.record === 'string').map((e: any) => ({ record: e.record })) }
}

export function decodeFetchRequest (v: unknown): FetchRequest {
  const x = v as any
  if (typeof x?.cid !== 'string' || x.cid.length > 200) throw new Error('cid must be a string')
  return { cid: x.cid }
}

export function decodeFetchAnswer (v: unknown): FetchAnswer {
  const x = v as any
  if (typeof x?.data !== 'string') throw new Error('data must be a base64 string')
  return { data: x.data }
}

/**
 * The records in a search answer that are signed by their publisher and valid for their key;
 * bad ones are dropped (and logged), never thrown.
 */
export async function checkAnswer (records: RecordNamespace<ProtocolRecordValue>, answer: { entries: Array<{ record: string }> }, from: string, log: Logger, publisher?: string): Promise<ProtocolRecord[]> {
  const out: ProtocolRecord[] = []
  for (const { record } of answer.entries) {
    try {
      const bytes = new Uint8Array(Buffer.from(record, 'base64'))
      const payload = payloadOf(bytes)
      out.push(await records.check(records.key(publisher ?? String(payload.publisher ?? ''), String(payload.name ?? '')), bytes))
    } catch (err: any) {
      log('dropped a bad entry from %s: %s', from, err?.message)
    }
  }
  return out
}

function payloadOf (bytes: Uint8Array): any {
  try { return JSON.parse(JSON.parse(new TextDecoder().decode(bytes)).payload) ?? {} } catch { return {} }
}
