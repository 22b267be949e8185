import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { cidFromHash, parseBlobCid } from './cid.js'
import { BlobCorruptError, BlobTooLargeError } from './errors.js'
import { writeAll } from './layout.js'
import type { BlobInfo, BlobLayout } from './layout.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array

export interface PutOptions extends AbortOptions {
  /** Refuse (and leave nothing behind) when the source gives more bytes than this. */
  maxBytes?: number
  /** Refuse (and leave nothing behind) when the bytes do not hash to this CID. */
  expectedCid?: CID | string
  /** Called with the total bytes written so far, after each chunk. */
  onProgress?: (bytes: number) => void
}

async function * chunksOf (source: BlobSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  yield * source
}

/**
 * Streams a blob into a temp file while hashing it, fsyncs it and renames it into place under
 * its CID: a blob is either whole or absent. On any failure the temp file is removed.
 */
export async function putBlob (layout: BlobLayout, source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
  await layout.ensureDirs()
  const expected = options.expectedCid == null ? undefined : parseBlobCid(options.expectedCid)
  const temp = path.join(layout.tempDir, `${Date.now()}-${randomBytes(8).toString('hex')}`)
  const handle = await fs.open(temp, 'wx')
  const hash = createHash('sha256')
  let size = 0
  let closed = false
  try {
    for await (const chunk of chunksOf(source)) {
      options.signal?.throwIfAborted()
      size += chunk.byteLength
      if (options.maxBytes != null && size > options.maxBytes) {
        throw new BlobTooLargeError(`blob over ${options.maxBytes} bytes`, { maxBytes: options.maxBytes })
      }
      hash.update(chunk)
      await writeAll(handle, chunk)
      options.onProgress?.(size)
    }
    options.signal?.throwIfAborted()
    await handle.sync()
    await handle.close()
    closed = true
    const cid = cidFromHash(hash)
    if (expected != null && expected.toString() !== cid.toString()) {
      const want = String(expected)
      throw new BlobCorruptError(`bytes hash to ${cid.toString()}, expected ${want}`, { expected: want, actual: cid.toString() })
    }
    await layout.moveIntoPlace(temp, cid)
    return { cid, size }
  } catch (err) {
    if (!closed) await handle.close().catch(() => {})
    await fs.rm(temp, { force: true }).catch(() => {})
    throw err
  }
}
