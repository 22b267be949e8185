import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'

/** The raw sha2-256 CID v1 of some bytes, computed independently of the repository code. */
export function cidOfContent (bytes: Uint8Array): string {
  return CID.createV1(0x55, createDigest(0x12, new Uint8Array(createHash('sha256').update(bytes).digest()))).toString()
}

/** The json-codec sha2-256 CID v1 of a block, computed independently of the repository code. */
export function cidOfJson (bytes: Uint8Array): string {
  return CID.createV1(0x0200, createDigest(0x12, new Uint8Array(createHash('sha256').update(bytes).digest()))).toString()
}
