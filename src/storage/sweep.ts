/**
 * Reclaims what a crash leaves in the blob store: temp files of writes that never finished
 * and blobs nothing references (a dataset add killed half-way). What is referenced comes from
 * every component that stores blobs, each a `BlobReferences` source; a blob any source names
 * is never touched. Partial blobs (resumable transfers) are kept.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseBlobCid } from './cid.js'
import { TEMP_DIR } from './constants.js'
import type { BlobStore } from './blobs.js'
import type { AbortOptions } from '@libp2p/interface'

/** A component's blobs: every CID it stores or points at (manifests, outputs, objects...). */
export interface BlobReferences {
  name: string
  references: (options?: AbortOptions) => AsyncIterable<string>
}

export interface SweepOptions extends AbortOptions {
  /** Leave files written less than this long ago (ms): writes in progress. 0 at start, when nothing writes. */
  grace?: number
  /** Report what would go without removing it. */
  dryRun?: boolean
}

export interface SweepResult {
  /** Unreferenced blobs removed, and their bytes. */
  blobs: number
  blobBytes: number
  /** Temp files removed, and their bytes. */
  temp: number
  tempBytes: number
  /** Blobs kept because something references them. */
  referenced: number
  /** The sources asked. */
  sources: string[]
}

async function referencedSet (sources: BlobReferences[], options: AbortOptions): Promise<Set<string>> {
  const referenced = new Set<string>()
  for (const source of sources) {
    for await (const value of source.references(options)) {
      options.signal?.throwIfAborted()
      try { referenced.add(parseBlobCid(value).toString()) } catch { /* not a blob CID */ }
    }
  }
  return referenced
}

export async function sweepBlobs (blobs: BlobStore, sources: BlobReferences[], options: SweepOptions = {}): Promise<SweepResult> {
  const grace = options.grace ?? 0
  const startedAt = Date.now()
  const result: SweepResult = { blobs: 0, blobBytes: 0, temp: 0, tempBytes: 0, referenced: 0, sources: sources.map(s => s.name) }
  const old = async (file: string): Promise<{ size: number } | undefined> => {
    try {
      const info = await fs.stat(file)
      return startedAt - info.mtimeMs >= grace ? { size: info.size } : undefined
    } catch { return undefined }
  }

  // temp files first: none of them is a blob anyone can reference
  const tempDir = path.join(blobs.dir, TEMP_DIR)
  let names: string[] = []
  try { names = await fs.readdir(tempDir) } catch {}
  for (const name of names) {
    options.signal?.throwIfAborted()
    const file = path.join(tempDir, name)
    const info = await old(file)
    if (info == null) continue
    if (options.dryRun !== true) await fs.rm(file, { force: true, recursive: true })
    result.temp++
    result.tempBytes += info.size
  }

  // the references are collected before the blobs are listed: a blob stored meanwhile is new (grace)
  const referenced = await referencedSet(sources, options)
  for await (const { cid, size } of blobs.list()) {
    options.signal?.throwIfAborted()
    if (referenced.has(cid.toString())) { result.referenced++; continue }
    if (await old(blobs.path(cid)) == null) continue
    if (options.dryRun !== true) await blobs.delete(cid)
    result.blobs++
    result.blobBytes += size
  }
  return result
}

/** Every blob CID written anywhere in a level database's keys and values (JSON, or binary records holding text). */
export function databaseReferences (name: string, db: { iterator: (options: any) => AsyncIterable<[Uint8Array, Uint8Array]> }): BlobReferences {
  // a blob CID: CIDv1, raw, sha2-256, base32: "bafkrei" and 52 more characters
  const CID = /bafkrei[a-z2-7]{52}/g
  return {
    name,
    async * references (options = {}) {
      for await (const [key, value] of db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' })) {
        options.signal?.throwIfAborted()
        for (const bytes of [key, value]) {
          const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
          for (const match of text.matchAll(CID)) yield match[0]
        }
      }
    }
  }
}
