import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { InvalidRecordError } from './record/errors.js'
import { checkNamespace } from './record/sign.js'

const RAW_CODEC = 0x55
const SHA2_256 = 0x12

/**
 * Keyword normalisation: Unicode NFKC, lower case, split on anything that is not a letter or a
 * digit, tokens of 2 to 64 characters, de-duplicated, in first-seen order. No stemming:
 * "models" and "model" are different keywords (publishers list both if they want both found).
 */
export function normaliseKeywords (...texts: Array<string | undefined | null>): string[] {
  const out = new Set<string>()
  for (const text of texts) {
    if (typeof text !== 'string') continue
    for (const token of text.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (token.length >= 2 && token.length <= 64) out.add(token)
    }
  }
  return [...out]
}

/** The CID under which nodes provide a keyword of a namespace (provider records). */
export function keywordCid (namespace: string, word: string): CID {
  checkNamespace(namespace)
  const [normal] = normaliseKeywords(word)
  if (normal == null) throw new InvalidRecordError(`"${word}" is not a keyword`)
  const digest = createHash('sha256').update(`paip-keyword:${namespace}:${normal}`, 'utf8').digest()
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, new Uint8Array(digest)))
}
