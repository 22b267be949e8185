import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { RAW_CODEC, SHA2_256 } from './constants.js'
import { InvalidBlobRequestError } from './errors.js'
import type { Hash } from 'node:crypto'

/** The CID (v1, raw codec, sha2-256) of a finished sha256 hash. */
export function cidFromHash (hash: Hash): CID {
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, new Uint8Array(hash.digest())))
}

/** The CID (v1, raw, sha2-256) of some bytes held in memory (small things: manifests, keys). */
export function cidOfBytes (bytes: Uint8Array): CID {
  return cidFromHash(createHash('sha256').update(bytes))
}

/** Parses a CID string (or CID) and checks it names raw sha2-256 bytes. */
export function parseBlobCid (value: string | CID): CID {
  let cid: CID
  try {
    cid = typeof value === 'string' ? CID.parse(value) : value
  } catch {
    throw new InvalidBlobRequestError(`not a CID: ${String(value).slice(0, 100)}`)
  }
  if (cid.version !== 1 || cid.multihash.code !== SHA2_256) {
    throw new InvalidBlobRequestError(`not a sha2-256 CID v1: ${cid.toString()}`)
  }
  return cid
}

/** True when `hash` (finished) gives the digest in `cid`. */
export function hashMatches (cid: CID, digest: Uint8Array): boolean {
  const expected = cid.multihash.digest
  if (expected.byteLength !== digest.byteLength) return false
  for (let i = 0; i < digest.byteLength; i++) if (expected[i] !== digest[i]) return false
  return true
}
