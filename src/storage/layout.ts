import fs from 'node:fs/promises'
import path from 'node:path'
import { parseBlobCid } from './cid.js'
import { PARTIAL_DIR, TEMP_DIR } from './constants.js'
import { BlobNotFoundError } from './errors.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { FileHandle } from 'node:fs/promises'

/**
 * Where blobs live in the blob directory: `<dir>/<last two characters of the CID>/<CID>`,
 * writes in progress in `<dir>/tmp`, resumable transfers in `<dir>/partial`.
 */

export interface BlobInfo {
  cid: CID
  size: number
}

export interface BlobLayout {
  readonly dir: string
  readonly tempDir: string
  readonly partialDir: string
  /** Creates the temp and partial folders (once). */
  ensureDirs: () => Promise<void>
  /** Where the blob with this CID lives (whether or not it exists). */
  blobPath: (cid: CID | string) => string
  /** Renames a finished, synced file into the blob's place and syncs its folder. */
  moveIntoPlace: (file: string, cid: CID) => Promise<void>
  /** Size of a stored blob; throws BlobNotFoundError when absent. */
  stat: (cid: CID | string) => Promise<BlobInfo>
}

export function createBlobLayout (root: string): BlobLayout {
  const dir = path.resolve(root)
  const tempDir = path.join(dir, TEMP_DIR)
  const partialDir = path.join(dir, PARTIAL_DIR)
  let ready: Promise<void> | undefined

  function blobPath (value: CID | string): string {
    const key = parseBlobCid(value).toString()
    return path.join(dir, key.slice(-2), key)
  }

  return {
    dir,
    tempDir,
    partialDir,
    blobPath,
    async ensureDirs () {
      ready ??= (async () => {
        await fs.mkdir(tempDir, { recursive: true })
        await fs.mkdir(partialDir, { recursive: true })
      })()
      await ready
    },
    async moveIntoPlace (file, cid) {
      const target = blobPath(cid)
      await fs.mkdir(path.dirname(target), { recursive: true })
      await fs.rename(file, target)
      const handle = await fs.open(path.dirname(target), 'r')
      try { await handle.sync() } catch { /* some filesystems refuse directory fsync */ } finally { await handle.close() }
    },
    async stat (value) {
      const cid = parseBlobCid(value)
      try {
        const info = await fs.stat(blobPath(cid))
        return { cid, size: info.size }
      } catch (err: any) {
        if (err?.code === 'ENOENT') throw new BlobNotFoundError(`no blob ${cid.toString()}`, { cid: cid.toString() })
        throw err
      }
    }
  }
}

/** Writes every byte of a chunk (a short write is continued). */
export async function writeAll (handle: FileHandle, chunk: Uint8Array, options?: AbortOptions): Promise<void> {
  options?.signal?.throwIfAborted()
  let written = 0
  while (written < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written)
    written += bytesWritten
  }
}
