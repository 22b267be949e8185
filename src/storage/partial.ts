import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { hashMatches, parseBlobCid } from './cid.js'
import { READ_CHUNK_BYTES } from './constants.js'
import { BlobCorruptError } from './errors.js'
import { writeAll } from './layout.js'
import type { BlobInfo, BlobLayout } from './layout.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** A blob being received in pieces (a resumable transfer): bytes kept across attempts. */
export interface PartialBlob {
  readonly cid: CID
  /** Bytes already held: the offset to resume from. */
  readonly size: number
  /** Appends bytes (written through to disk). */
  write: (chunk: Uint8Array, options?: AbortOptions) => Promise<void>
  /** Checks the hash of every byte held; if it matches the CID, moves the file into the store. */
  commit: (options?: AbortOptions) => Promise<BlobInfo>
  /** Closes the file and keeps its bytes for a later attempt. */
  close: () => Promise<void>
  /** Closes and deletes the partial file. */
  discard: () => Promise<void>
}

export interface PartialOptions {
  /**
   * The blob's blocks, when the caller can check them: only the longest prefix of blocks that
   * `keep` accepts is kept (what a crash, a full disk or a power cut left past it is dropped).
   */
  blocks?: { size: number, keep: (index: number, bytes: Uint8Array) => boolean }
}

/** Hashes the bytes kept from an earlier attempt into `hash`: all of them, or the blocks `keep` accepts. Answers how many are kept. */
async function hashKept (file: string, size: number, hash: Hash, blocks: PartialOptions['blocks']): Promise<number> {
  if (blocks == null) {
    for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, end: size - 1 })) hash.update(chunk)
    return size
  }
  const handle = await fs.open(file, 'r')
  try {
    const buffer = new Uint8Array(Math.min(blocks.size, size))
    let kept = 0
    for (let index = 0; kept < size; index++) {
      const want = Math.min(blocks.size, size - kept)
      const { bytesRead } = await handle.read(buffer, 0, want, kept)
      const block = buffer.subarray(0, bytesRead)
      if (bytesRead < want || !blocks.keep(index, block)) break
      hash.update(block)
      kept += bytesRead
    }
    return kept
  } finally {
    await handle.close()
  }
}

/** Opens (or reopens, keeping its checked bytes) the partial file of a blob in `<dir>/partial`. */
export async function openPartial (layout: BlobLayout, value: CID | string, options: PartialOptions = {}): Promise<PartialBlob> {
  await layout.ensureDirs()
  const cid = parseBlobCid(value)
  const file = path.join(layout.partialDir, cid.toString())
  // the bytes kept from an earlier attempt are hashed once here; new ones as they are written
  const hash = createHash('sha256')
  const found = await fs.stat(file).then(s => s.size, () => 0)
  const kept = found > 0 ? await hashKept(file, found, hash, options.blocks) : 0
  if (kept < found) await fs.truncate(file, kept)
  const handle = await fs.open(file, 'a')
  let size = kept
  let open = true
  const closeHandle = async (): Promise<void> => {
    if (open) { open = false; await handle.close() }
  }
  return {
    cid,
    get size () { return size },
    async write (chunk, options) {
      await writeAll(handle, chunk, options)
      hash.update(chunk)
      size += chunk.byteLength
    },
    async commit () {
      await handle.sync()
      await closeHandle()
      if (!hashMatches(cid, new Uint8Array(hash.digest()))) {
        await fs.rm(file, { force: true })
        throw new BlobCorruptError(`received bytes do not match ${cid.toString()}`, { cid: cid.toString() })
      }
      await layout.moveIntoPlace(file, cid)
      return { cid, size }
    },
    close: closeHandle,
    async discard () {
      await closeHandle()
      await fs.rm(file, { force: true })
    }
  }
}
