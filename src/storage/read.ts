import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { hashMatches } from './cid.js'
import { READ_CHUNK_BYTES } from './constants.js'
import { BlobCorruptError, InvalidBlobRequestError } from './errors.js'
import type { BlobLayout } from './layout.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface GetOptions extends AbortOptions {
  /** First byte to read (default 0). */
  offset?: number
  /** How many bytes to read (default: to the end). */
  length?: number
  /** Size of the chunks yielded (default 256 KiB). */
  chunkSize?: number
  /** Whether a read of the whole blob checks its hash (default true; a peer that checks every block itself can skip it). */
  verify?: boolean
}

/** The byte range asked for, checked against the blob's size. */
function rangeOf (size: number, options: GetOptions): { offset: number, length: number } {
  const offset = options.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new InvalidBlobRequestError(`offset ${offset} outside blob of ${size} bytes`)
  }
  const length = options.length ?? size - offset
  if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) {
    throw new InvalidBlobRequestError(`range ${offset}+${length} outside blob of ${size} bytes`)
  }
  return { offset, length }
}

/**
 * Reads a stored blob (or a range of it) in chunks. A read of the whole blob verifies its hash
 * at the end and throws BlobCorruptError when the bytes on disk no longer match the CID.
 */
export async function * readBlob (layout: BlobLayout, value: CID | string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
  const { cid, size } = await layout.stat(value)
  const { offset, length } = rangeOf(size, options)
  if (length === 0 && offset !== 0) return
  const hash = offset === 0 && length === size && options.verify !== false ? createHash('sha256') : undefined
  let read = 0
  if (length > 0) {
    const stream = createReadStream(layout.blobPath(cid), {
      start: offset,
      end: offset + length - 1,
      highWaterMark: options.chunkSize ?? READ_CHUNK_BYTES,
      signal: options.signal
    })
    try {
      for await (const chunk of stream) {
        const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        hash?.update(bytes)
        read += bytes.byteLength
        yield bytes
      }
    } finally {
      stream.destroy()
    }
  }
  if (read !== length) {
    throw new BlobCorruptError(`blob ${cid.toString()} changed size while read`, { cid: cid.toString() })
  }
  if (hash != null && !hashMatches(cid, new Uint8Array(hash.digest()))) {
    throw new BlobCorruptError(`stored blob ${cid.toString()} does not match its CID`, { cid: cid.toString() })
  }
}
