/**
 * CIDs of the two kinds the repository stores, made and checked without the general CID
 * parser (log reads thousands): v1, sha2-256, raw codec (contents) or json codec (version
 * records), as base32 (multibase 'b', `multiformats`' own codec) strings.
 */
import { createHash } from 'node:crypto'
import { base32 } from 'multiformats/bases/base32'
import { JSON_CODEC, RAW_CODEC, SHA2_256 } from './constants.js'

const DIGEST_BYTES = 32

/** The bytes before the digest: version 1, codec (varint), sha2-256, digest length. */
function header (codec: number): number[] {
  const varint: number[] = []
  let value = codec
  while (value >= 0x80) {
    varint.push((value & 0x7f) | 0x80)
    value >>>= 7
  }
  varint.push(value)
  return [0x01, ...varint, SHA2_256, DIGEST_BYTES]
}

const HEADERS = new Map<number, number[]>([[RAW_CODEC, header(RAW_CODEC)], [JSON_CODEC, header(JSON_CODEC)]])

/** A base32 (multibase 'b', lower case, unpadded) string: the one spelling a CID has here. */
const BASE32 = /^b[a-z2-7]+$/

/** The bytes of a base32 string, or undefined when it is not one (or has non-zero unused bits). */
function decode (text: string): Uint8Array | undefined {
  if (!BASE32.test(text)) return undefined
  try { return base32.decode(text) } catch { return undefined }
}

/** The CID string of `bytes` with this codec (raw or json). */
export function cidOf (bytes: Uint8Array, codec = RAW_CODEC): string {
  const head = HEADERS.get(codec)
  if (head == null) throw new Error(`unsupported codec ${codec}`)
  const digest = createHash('sha256').update(bytes).digest()
  const all = new Uint8Array(head.length + DIGEST_BYTES)
  all.set(head)
  all.set(digest, head.length)
  return base32.encode(all)
}

/** The sha2-256 digest a CID string names, when it is a v1 sha2-256 CID of `codec`; else undefined. */
export function digestOf (value: unknown, codec: number): Uint8Array | undefined {
  const head = HEADERS.get(codec)
  if (head == null || typeof value !== 'string' || value.length > 100 || value[0] !== 'b') return undefined
  const bytes = decode(value)
  if (bytes?.length !== head.length + DIGEST_BYTES) return undefined
  for (let i = 0; i < head.length; i++) if (bytes[i] !== head[i]) return undefined
  return bytes.subarray(head.length)
}
