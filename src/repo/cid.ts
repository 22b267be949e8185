/**
 * CIDs of the two kinds the repository stores, made and checked without the general CID
 * parser (log reads thousands): v1, sha2-256, raw codec (contents) or json codec (version
 * records), as base32 (multibase 'b') strings, byte for byte what `multiformats` produces.
 */
import { createHash } from 'node:crypto'
import { JSON_CODEC, RAW_CODEC, SHA2_256 } from './constants.js'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const LOOKUP = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i
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

function encode (bytes: Uint8Array): string {
  let out = 'b'
  let bits = 0
  let buffer = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

function decode (text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length - 1) * 5 / 8))
  let bits = 0
  let buffer = 0
  let at = 0
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? LOOKUP[code] : -1
    if (value < 0) return undefined
    buffer = ((buffer << 5) | value) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[at++] = (buffer >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  // the unused low bits must be zero, so each CID has one spelling
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

/** The CID string of `bytes` with this codec (raw or json). */
export function cidOf (bytes: Uint8Array, codec = RAW_CODEC): string {
  const head = HEADERS.get(codec)
  if (head == null) throw new Error(`unsupported codec ${codec}`)
  const digest = createHash('sha256').update(bytes).digest()
  const all = new Uint8Array(head.length + DIGEST_BYTES)
  all.set(head)
  all.set(digest, head.length)
  return encode(all)
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
