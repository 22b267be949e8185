/** The DHT keys a published protocol is found by (the one key scheme of src/net/keys.ts). */
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import { InvalidRecordError, normaliseKeywords } from '../net/records.js'
import { PREFIX_LENGTH } from './constants.js'
import type { ProtocolRecord } from './record.js'
import type { CID } from 'multiformats/cid'

function normal (word: string): string {
  const [first] = normaliseKeywords(word)
  if (first == null) throw new InvalidRecordError(`"${word}" is not a keyword`)
  return first
}

/** The key under which the holders of protocols with a keyword provide. */
export function keywordKey (word: string): CID {
  return dhtKey(KEY_NAMESPACES.protocolKeyword, normal(word))
}

/** The key of a keyword prefix (the first PREFIX_LENGTH characters of a longer keyword). */
export function prefixKey (prefix: string): CID {
  return dhtKey(KEY_NAMESPACES.protocolPrefix, normal(prefix))
}

/** The prefix key under which holders of keywords starting like `word` provide (none for short words). */
export function prefixKeyOf (word: string): string | undefined {
  return word.length >= PREFIX_LENGTH ? word.slice(0, PREFIX_LENGTH) : undefined
}

/** The prefix keys a protocol with these keywords is provided under. */
export function prefixKeys (keywords: string[]): string[] {
  return [...new Set(keywords.filter(k => k.length > PREFIX_LENGTH).map(k => k.slice(0, PREFIX_LENGTH)))]
}

/**
 * A record's keys: `name`, the keyword of its name (its first word of two or more letters,
 * when that is one of its keywords), what makes it findable by name; `words`, all its keywords;
 * `prefixes`, its prefix keys.
 */
export function recordKeys (record: ProtocolRecord): { name?: CID, words: CID[], prefixes: CID[] } {
  const words = record.value.keywords.map(keywordKey)
  const bare = record.name.slice(record.name.indexOf('/') + 1)
  const nameKey = keywordKey(bare.split(/[^\p{L}\p{N}]+/u).find(t => t.length >= 2) ?? bare)
  return { name: words.find(w => w.equals(nameKey)), words, prefixes: prefixKeys(record.value.keywords).map(prefixKey) }
}
