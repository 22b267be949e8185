import { parseBlobCid } from '../storage/index.js'
import { MAX_LISTED_ENTRIES, MAX_QUERY_TERMS } from './constants.js'
import { InvalidQueryError } from './errors.js'
import { normalizeTag, parseKind, validateMetadata } from './schema.js'
import type { EntryKind } from './schema.js'
import type { CatalogEntry } from './store.js'

/** What a node is asked about its catalog: entries of a kind matching any of the terms. */
export interface CatalogQuery {
  kind: EntryKind
  /** Tags (`#mnist`) and names. */
  terms: string[]
  /** Manifest CIDs. */
  manifests?: string[]
}

/** Checks and normalises search terms: tags are lower-cased and checked, names kept. */
export function parseTerms (input: unknown, max = MAX_QUERY_TERMS): string[] {
  if (!Array.isArray(input)) throw new InvalidQueryError('search terms must be a list')
  const terms = input.flatMap(t => typeof t === 'string' ? t.split(/[,\s]+/) : [t]).filter(t => t !== '')
  if (terms.length === 0) throw new InvalidQueryError('a search needs at least one tag or name')
  if (terms.length > max) throw new InvalidQueryError(`a search may have at most ${max} terms (got ${terms.length})`)
  return [...new Set(terms.map(t => {
    if (typeof t !== 'string') throw new InvalidQueryError('search terms must be strings')
    if (t.startsWith('#')) return normalizeTag(t)
    if (t.length > 128 || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t)) throw new InvalidQueryError(`not a tag or a name: ${JSON.stringify(t.slice(0, 80))}`)
    return t.toLowerCase()
  }))]
}

/** The terms of a query an entry matches. */
export function matchedTerms (entry: CatalogEntry, terms: string[]): string[] {
  return terms.filter(t => t.startsWith('#') ? entry.tags.includes(t) : entry.name.toLowerCase() === t)
}

export function decodeQuery (value: unknown): CatalogQuery {
  const v = value as any
  if (v == null || typeof v !== 'object') throw new InvalidQueryError('query must be an object')
  const kind = parseKind(v.kind)
  const manifests = v.manifests == null ? [] : v.manifests
  if (!Array.isArray(manifests) || manifests.length > MAX_QUERY_TERMS) throw new InvalidQueryError('bad manifests')
  manifests.forEach((m: unknown) => parseBlobCid(String(m)))
  const terms = v.terms == null || (Array.isArray(v.terms) && v.terms.length === 0) ? [] : parseTerms(v.terms)
  if (terms.length === 0 && manifests.length === 0) throw new InvalidQueryError('a query needs terms or manifests')
  return { kind, terms, manifests: manifests.map(String) }
}

const SYSTEM_FIELDS = ['kind', 'public', 'manifest', 'size', 'files', 'addedAt', 'fetchedFrom', 'owner']

/** Checks an entry received from a peer. */
export function decodeEntry (value: unknown): CatalogEntry {
  const v = value as any
  if (v == null || typeof v !== 'object') throw new Error('entry must be an object')
  const kind = parseKind(v.kind)
  const metadata: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(v)) if (!SYSTEM_FIELDS.includes(key)) metadata[key] = field
  const checked = validateMetadata(kind, { ...metadata, public: v.public })
  parseBlobCid(String(v.manifest))
  if (!Number.isSafeInteger(v.size) || v.size < 0 || !Number.isSafeInteger(v.files) || v.files < 0) throw new Error('bad entry size')
  if (typeof v.addedAt !== 'string' || v.addedAt.length > 64) throw new Error('bad entry date')
  if (v.owner != null && (typeof v.owner !== 'string' || v.owner.length > 128)) throw new Error('bad entry owner')
  return { ...checked, kind, public: v.public === true, manifest: String(v.manifest), size: v.size, files: v.files, addedAt: v.addedAt, ...(v.owner == null ? {} : { owner: v.owner }) } as CatalogEntry
}

export function decodeEntries (value: unknown): CatalogEntry[] {
  const entries = (value as any)?.entries
  if (!Array.isArray(entries) || entries.length > MAX_LISTED_ENTRIES) throw new Error('entries must be a list')
  return entries.map(decodeEntry)
}

/** A node's answer to a query: its entries and, when it announces one, its HTTP API URL. */
export function decodeAnswer (value: unknown): { entries: CatalogEntry[], api?: string } {
  const api = (value as any)?.api
  return { entries: decodeEntries(value), ...(typeof api === 'string' && isHttpUrl(api) ? { api } : {}) }
}

/** An http(s) URL without credentials, at most 512 characters. */
export function isHttpUrl (text: string): boolean {
  if (text.length > 512) return false
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
  } catch { return false }
}
