import fs from 'node:fs/promises'
import path from 'node:path'
import { PARTIAL_DIR, TEMP_DIR } from './constants.js'
import { createBlobLayout } from './layout.js'
import { openPartial } from './partial.js'
import { readBlob } from './read.js'
import { putBlob } from './write.js'
import type { BlobInfo, BlobLayout } from './layout.js'
import type { PartialBlob, PartialOptions } from './partial.js'
import type { GetOptions } from './read.js'
import type { BlobSource, PutOptions } from './write.js'
import type { CID } from 'multiformats/cid'

export type { BlobInfo } from './layout.js'
export type { PartialBlob, PartialOptions } from './partial.js'
export type { GetOptions } from './read.js'
export type { BlobSource, PutOptions } from './write.js'

/**
 * A content-addressed blob store on disk: every blob is named by the CID (v1, raw codec,
 * sha2-256) of its bytes. Writes stream into a temp file while hashing, are fsynced and then
 * renamed into place, so a blob is either whole or absent (`write.ts`). Reads of a whole blob
 * verify it (`read.ts`). Transfers can resume from the bytes already received (`partial.ts`).
 */

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
  /** Opens (or reopens, keeping its bytes, or those of its blocks that check) a partial blob for a resumable transfer. */
  partial: (cid: CID | string, options?: PartialOptions) => Promise<PartialBlob>
  /** Every stored blob (not partial or temp ones). */
  list: () => AsyncIterable<BlobInfo>
}

export interface BlobStoreInit {
  /** The directory holding the blobs (created if missing). */
  dir: string
}

async function * listBlobs (layout: BlobLayout): AsyncIterable<BlobInfo> {
  let shards: string[]
  try { shards = await fs.readdir(layout.dir) } catch { return }
  for (const shard of shards) {
    if (shard === TEMP_DIR || shard === PARTIAL_DIR) continue
    let names: string[]
    try { names = await fs.readdir(path.join(layout.dir, shard)) } catch { continue }
    for (const name of names) {
      try { yield await layout.stat(name) } catch { /* not a blob */ }
    }
  }
}

export function createBlobStore (init: BlobStoreInit): BlobStore {
  const layout = createBlobLayout(init.dir)
  return {
    dir: layout.dir,
    put: async (source, options) => await putBlob(layout, source, options),
    get: (cid, options) => readBlob(layout, cid, options),
    stat: layout.stat,
    async has (value) {
      try { await layout.stat(value); return true } catch (err: any) {
        if (err?.name === 'BlobNotFoundError') return false
        throw err
      }
    },
    async delete (value) {
      try { await fs.unlink(layout.blobPath(value)); return true } catch (err: any) {
        if (err?.code === 'ENOENT') return false
        throw err
      }
    },
    path: layout.blobPath,
    partial: async (cid, options) => await openPartial(layout, cid, options),
    list: () => listBlobs(layout)
  }
}
