import fs from 'node:fs/promises'
import { paipLogger } from '../logger.js'
import { KEEP_FREE_BYTES, LIST_LIMIT } from './constants.js'
import { DataNotFoundError, DataTooLargeError } from './errors.js'
import { requireOwner } from '../users/roles.js'
import type { Actor } from '../users/roles.js'
import { dataKey, formatDataPath, parseDataPath } from './paths.js'
import type { DataPath } from './paths.js'
import type { BlobSource, BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export * from './errors.js'
export * from './paths.js'
export { SCHEME, MY } from './constants.js'

/** The part of a level sublevel the data space uses (JSON values). */
export interface DataDb {
  get: (key: string) => Promise<any>
  put: (key: string, value: any) => Promise<void>
  del: (key: string) => Promise<void>
  iterator: (options?: any) => AsyncIterable<[string, any]> & { close?: () => Promise<void> }
}

export interface DataSpaceComponents {
  db: DataDb
  blobs: BlobStore
  logger?: ComponentLogger
}

export interface DataSpaceInit {
  /** Bytes kept free on the disk holding the blobs (default 64 MiB). */
  keepFreeBytes?: number
  /** Largest file (default: whatever fits on the disk). */
  maxFileBytes?: number
}

/** One stored file. */
export interface DataEntry {
  /** `data://<user>/<collection>/<file>`. */
  path: string
  user: string
  collection: string
  file: string
  cid: string
  size: number
  created: number
  modified: number
}

/** What a listing answers: files, and the collections when it lists a whole user space. */
export interface DataListing {
  path: string
  collections?: string[]
  files: DataEntry[]
  truncated: boolean
}

export interface PutDataOptions extends AbortOptions {
  /** The size the caller announces: refused at once when it cannot fit. */
  size?: number
  /** Refuse bytes that do not hash to this CID. */
  expectedCid?: string
  onProgress?: (bytes: number) => void
}

/** `as` is the caller: a space is its owner's and the node admin's only. */
export interface DataSpace {
  put: (path: DataPath, source: BlobSource, as: Actor, options?: PutDataOptions) => Promise<DataEntry>
  /** The checks of a put of `size` bytes (owner, path, room on the disk), storing nothing. */
  checkPut: (path: DataPath, as: Actor, size?: number) => Promise<void>
  stat: (path: DataPath, as: Actor) => Promise<DataEntry>
  get: (path: DataPath, as: Actor, options?: AbortOptions) => Promise<{ entry: DataEntry, bytes: AsyncIterable<Uint8Array> }>
  list: (path: DataPath, as: Actor) => Promise<DataListing>
  /** Deletes a file, or with `recursive` everything under a collection or folder; answers what went. */
  delete: (path: DataPath, as: Actor, options?: { recursive?: boolean }) => Promise<DataEntry[]>
  /** Whether any stored file is this blob (blobs are shared by content). */
  usesBlob: (cid: string) => Promise<boolean>
  /** Every blob the data space holds. */
  blobs: () => Promise<Set<string>>
}

function checkOwner (path: DataPath, as: Actor): void {
  requireOwner(as, path.user, formatDataPath(path), 'use')
}

async function getOrUndefined (db: DataDb, key: string): Promise<any> {
  try {
    return (await db.get(key)) ?? undefined
  } catch (err: any) {
    if (err?.code === 'LEVEL_NOT_FOUND' || err?.notFound === true) return undefined
    throw err
  }
}

/** Free bytes on the file system holding `dir`. */
export async function freeBytes (dir: string): Promise<number> {
  await fs.mkdir(dir, { recursive: true })
  const s = await fs.statfs(dir)
  return Number(s.bavail) * Number(s.bsize)
}

/** The entries whose keys start with `prefix`, at most `limit`. */
async function entriesUnder (db: DataDb, prefix: string, limit: number): Promise<DataEntry[]> {
  const out: DataEntry[] = []
  for await (const [, value] of db.iterator({ gte: prefix, lt: prefix + '\xff' })) {
    out.push(value as DataEntry)
    if (out.length >= limit) break
  }
  return out
}

/** The entry of a file whose bytes were just stored. */
function entryOf (path: DataPath, info: { cid: { toString: () => string }, size: number }, created: number, modified: number): DataEntry {
  return {
    path: formatDataPath(path),
    user: path.user,
    collection: path.collection,
    file: path.file,
    cid: info.cid.toString(),
    size: info.size,
    created,
    modified
  }
}

/**
 * Every user's data space on this node (blobs are shared by content with the catalog and jobs,
 * so a deleted file's bytes stay until nothing uses them and the blob store is swept): files under `data://<user>/<collection>/<path>`,
 * their bytes in the node's blob store (by CID), their entries in the node database.
 */
export function createDataSpace (components: DataSpaceComponents, init: DataSpaceInit = {}): DataSpace {
  const { db, blobs } = components
  const log = (components.logger ?? paipLogger()).forComponent('paip:data')
  const keepFree = init.keepFreeBytes ?? KEEP_FREE_BYTES

  const entries = async (prefix: string, limit = LIST_LIMIT + 1): Promise<DataEntry[]> => await entriesUnder(db, prefix, limit)

  async function checkRoom (size: number | undefined): Promise<void> {
    if (size == null) return
    if (init.maxFileBytes != null && size > init.maxFileBytes) throw new DataTooLargeError(`${size} bytes is over this node's cap of ${init.maxFileBytes} bytes per file`, { size, max: init.maxFileBytes })
    const free = await freeBytes(blobs.dir)
    if (size + keepFree > free) throw new DataTooLargeError(`${size} bytes do not fit on this node: ${free} bytes free`, { size, free })
  }

  async function usesBlob (cid: string): Promise<boolean> {
    for await (const [, value] of db.iterator()) if ((value as DataEntry).cid === cid) return true
    return false
  }

  return {
    async checkPut (path, as, size) {
      checkOwner(path, as)
      if (path.file === '') throw new DataNotFoundError(formatDataPath(path))
      await checkRoom(size)
    },
    async put (path, source, as, options = {}) {
      checkOwner(path, as)
      if (path.file === '') throw new DataNotFoundError(formatDataPath(path))
      await checkRoom(options.size)
      const free = await freeBytes(blobs.dir)
      const info = await blobs.put(source, {
        signal: options.signal,
        maxBytes: Math.min(init.maxFileBytes ?? Infinity, Math.max(0, free - keepFree)),
        ...(options.expectedCid == null ? {} : { expectedCid: options.expectedCid }),
        ...(options.onProgress == null ? {} : { onProgress: options.onProgress })
      }).catch(err => {
        if (err?.name === 'BlobTooLargeError') throw new DataTooLargeError(`the file does not fit on this node (${free} bytes free)`, { free })
        throw err
      })
      const key = dataKey(path)
      const old = await getOrUndefined(db, key) as DataEntry | undefined
      const now = Date.now()
      const entry = entryOf(path, info, old?.created ?? now, now)
      await db.put(key, entry)
      if (old != null && old.cid !== entry.cid) log('%s now %s (was %s)', entry.path, entry.cid, old.cid)
      return entry
    },
    async stat (path, as) {
      checkOwner(path, as)
      const entry = path.file === '' ? undefined : await getOrUndefined(db, dataKey(path)) as DataEntry | undefined
      if (entry == null) throw new DataNotFoundError(formatDataPath(path))
      return entry
    },
    async get (path, as, options) {
      const entry = await this.stat(path, as)
      return { entry, bytes: blobs.get(entry.cid, options) }
    },
    async list (path, as) {
      checkOwner(path, as)
      const prefix = dataKey(path) + '/'
      const exact = path.file === '' ? undefined : await getOrUndefined(db, dataKey(path)) as DataEntry | undefined
      const found = exact != null ? [exact] : await entries(prefix)
      const truncated = found.length > LIST_LIMIT
      const files = found.slice(0, LIST_LIMIT)
      const listing: DataListing = { path: formatDataPath(path), files, truncated }
      if (path.collection === '') listing.collections = [...new Set(files.map(f => f.collection))].sort()
      return listing
    },
    async delete (path, as, options = {}) {
      checkOwner(path, as)
      const exact = path.file === '' ? undefined : await getOrUndefined(db, dataKey(path)) as DataEntry | undefined
      let gone: DataEntry[]
      if (exact != null) {
        gone = [exact]
      } else {
        if (options.recursive !== true) {
          const under = await entries(dataKey(path) + '/', 1)
          if (under.length === 0) throw new DataNotFoundError(formatDataPath(path))
          throw new DataNotFoundError(`${formatDataPath(path)} (a folder: delete it with recursive)`)
        }
        gone = await entries(dataKey(path) + '/', Infinity)
        if (gone.length === 0) throw new DataNotFoundError(formatDataPath(path))
      }
      for (const entry of gone) await db.del(dataKey(parseDataPath(entry.path)))
      log('deleted %d file(s) under %s', gone.length, formatDataPath(path))
      return gone
    },
    usesBlob,
    async blobs () {
      const cids = new Set<string>()
      for await (const [, value] of db.iterator()) cids.add((value as DataEntry).cid)
      return cids
    }
  }
}
