import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { cidFromHash, hashMatches, parseBlobCid } from './cid.js'
import { READ_CHUNK_BYTES, TEMP_DIR } from './constants.js'
import { BlobCorruptError, BlobNotFoundError, BlobTooLargeError, InvalidBlobRequestError } from './errors.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * A content-addressed blob store on disk: every blob is named by the CID (v1, raw codec,
 * sha2-256) of its bytes. Writes stream into a temp file while hashing, are fsynced and then
 * renamed into place, so a blob is either whole or absent. Reads of a whole blob verify it.
 */

export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array

export interface PutOptions extends AbortOptions {
  /** Refuse (and leave nothing behind) when the source gives more bytes than this. */
  maxBytes?: number
  /** Refuse (and leave nothing behind) when the bytes do not hash to this CID. */
  expectedCid?: CID | string
  /** Called with the total bytes written so far, after each chunk. */
  onProgress?: (bytes: number) => void
}

export interface GetOptions extends AbortOptions {
  /** First byte to read (default 0). */
  offset?: number
  /** How many bytes to read (default: to the end). */
  length?: number
  /** Size of the chunks yielded (default 256 KiB). */
  chunkSize?: number
}

export interface BlobInfo {
  cid: CID
  size: number
}

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

export interface BlobStore {
  readonly dir: string
  put: (source: BlobSource, options?: PutOptions) => Promise<BlobInfo>
  get: (cid: CID | string, options?: GetOptions) => AsyncIterable<Uint8Array>
  has: (cid: CID | string) => Promise<boolean>
  /** Size of a stored blob; throws BlobNotFoundError when absent. */
  stat: (cid: CID | string) => Promise<BlobInfo>
  /** Removes a blob; false when it was not there. */
  delete: (cid: CID | string) => Promise<boolean>
  /** Where the blob with this CID lives (whether or not it exists). */
  path: (cid: CID | string) => string
  /** Opens (or reopens, keeping its bytes) a partial blob for a resumable transfer. */
  partial: (cid: CID | string) => Promise<PartialBlob>
  /** Every stored blob (not partial or temp ones). */
  list: () => AsyncIterable<BlobInfo>
}

export interface BlobStoreInit {
  /** The directory holding the blobs (created if missing). */
  dir: string
}

const PARTIAL_DIR = 'partial'

function checkAborted (options?: AbortOptions): void {
  options?.signal?.throwIfAborted()
}

async function * chunksOf (source: BlobSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  yield * source
}

export function createBlobStore (init: BlobStoreInit): BlobStore {
  const dir = path.resolve(init.dir)
  const tempDir = path.join(dir, TEMP_DIR)
  const partialDir = path.join(dir, PARTIAL_DIR)
  let ready: Promise<void> | undefined

  async function ensureDirs (): Promise<void> {
    ready ??= (async () => {
      await fs.mkdir(tempDir, { recursive: true })
      await fs.mkdir(partialDir, { recursive: true })
    })()
    await ready
  }

  function blobPath (value: CID | string): string {
    const key = parseBlobCid(value).toString()
    return path.join(dir, key.slice(-2), key)
  }

  async function moveIntoPlace (temp: string, cid: CID): Promise<void> {
    const target = blobPath(cid)
    await fs.mkdir(path.dirname(target), { recursive: true })
    await fs.rename(temp, target)
    const handle = await fs.open(path.dirname(target), 'r')
    try { await handle.sync() } catch { /* some filesystems refuse directory fsync */ } finally { await handle.close() }
  }

  async function stat (value: CID | string): Promise<BlobInfo> {
    const cid = parseBlobCid(value)
    try {
      const info = await fs.stat(blobPath(cid))
      return { cid, size: info.size }
    } catch (err: any) {
      if (err?.code === 'ENOENT') throw new BlobNotFoundError(`no blob ${cid.toString()}`, { cid: cid.toString() })
      throw err
    }
  }

  async function put (source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
    await ensureDirs()
    const expected = options.expectedCid == null ? undefined : parseBlobCid(options.expectedCid)
    const temp = path.join(tempDir, `${Date.now()}-${randomBytes(8).toString('hex')}`)
    const handle = await fs.open(temp, 'wx')
    const hash = createHash('sha256')
    let size = 0
    let closed = false
    try {
      for await (const chunk of chunksOf(source)) {
        checkAborted(options)
        size += chunk.byteLength
        if (options.maxBytes != null && size > options.maxBytes) {
          throw new BlobTooLargeError(`blob over ${options.maxBytes} bytes`, { maxBytes: options.maxBytes })
        }
        hash.update(chunk)
        let written = 0
        while (written < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written)
          written += bytesWritten
        }
        options.onProgress?.(size)
      }
      checkAborted(options)
      await handle.sync()
      await handle.close()
      closed = true
      const cid = cidFromHash(hash)
      if (expected != null && expected.toString() !== cid.toString()) {
        const want = String(expected)
        throw new BlobCorruptError(`bytes hash to ${cid.toString()}, expected ${want}`, { expected: want, actual: cid.toString() })
      }
      await moveIntoPlace(temp, cid)
      return { cid, size }
    } catch (err) {
      if (!closed) await handle.close().catch(() => {})
      await fs.rm(temp, { force: true }).catch(() => {})
      throw err
    }
  }

  async function * get (value: CID | string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
    const { cid, size } = await stat(value)
    const offset = options.offset ?? 0
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
      throw new InvalidBlobRequestError(`offset ${offset} outside blob of ${size} bytes`)
    }
    const length = options.length ?? size - offset
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) {
      throw new InvalidBlobRequestError(`range ${offset}+${length} outside blob of ${size} bytes`)
    }
    if (length === 0 && offset !== 0) return
    const whole = offset === 0 && length === size
    const hash = whole ? createHash('sha256') : undefined
    let read = 0
    if (length > 0) {
      const stream = createReadStream(blobPath(cid), {
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

  async function partial (value: CID | string): Promise<PartialBlob> {
    await ensureDirs()
    const cid = parseBlobCid(value)
    const file = path.join(partialDir, cid.toString())
    const handle = await fs.open(file, 'a')
    let size = (await handle.stat()).size
    let open = true
    // the bytes kept from an earlier attempt are hashed once here; new ones as they are written
    const hash = createHash('sha256')
    if (size > 0) {
      for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, end: size - 1 })) hash.update(chunk)
    }
    const closeHandle = async (): Promise<void> => {
      if (open) { open = false; await handle.close() }
    }
    return {
      cid,
      get size () { return size },
      async write (chunk, options) {
        checkAborted(options)
        let written = 0
        while (written < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written)
          written += bytesWritten
        }
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
        await moveIntoPlace(file, cid)
        return { cid, size }
      },
      close: closeHandle,
      async discard () {
        await closeHandle()
        await fs.rm(file, { force: true })
      }
    }
  }

  async function * list (): AsyncIterable<BlobInfo> {
    let shards: string[]
    try { shards = await fs.readdir(dir) } catch { return }
    for (const shard of shards) {
      if (shard === TEMP_DIR || shard === PARTIAL_DIR) continue
      let names: string[]
      try { names = await fs.readdir(path.join(dir, shard)) } catch { continue }
      for (const name of names) {
        try { yield await stat(name) } catch { /* not a blob */ }
      }
    }
  }

  return {
    dir,
    put,
    get,
    stat,
    async has (value) {
      try { await stat(value); return true } catch (err: any) {
        if (err?.name === 'BlobNotFoundError') return false
        throw err
      }
    },
    async delete (value) {
      try { await fs.unlink(blobPath(value)); return true } catch (err: any) {
        if (err?.code === 'ENOENT') return false
        throw err
      }
    },
    path: blobPath,
    partial,
    list
  }
}
