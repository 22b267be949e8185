import { peerIdFromString } from '@libp2p/peer-id'
import { BlobCorruptError } from '../storage/index.js'
import { MAX_MANIFEST_BYTES } from './constants.js'
import { EntryNotFoundError, EntryPrivateError, FetchFailedError, AmbiguousRefError } from './errors.js'
import { decodeManifest } from './manifest.js'
import { fetchParallel } from './parallel.js'
import { blockMatches, fetchBlobFrom } from './wire.js'
import type { BlobStore, PartialBlob } from '../storage/index.js'
import type { Manifest } from './manifest.js'
import type { BlobTarget } from './wire.js'
import type { SearchResult } from './search.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'

/** Progress of a fetch, for a progress bar: bytes received out of the total. */
export interface FetchProgress {
  /** `manifest` while the file list is fetched, `file` for each file, `done` at the end. */
  phase: 'manifest' | 'file' | 'done'
  file?: string
  /** Bytes of files held so far (including files already present and resumed bytes). */
  bytes: number
  total: number
  /** The peer bytes are coming from. */
  peer?: string
}

export interface FetchBlobsOptions {
  signal?: AbortSignal
  idleTimeout?: number
  onProgress?: (progress: FetchProgress) => void
}

/** Picks the holders of one entry among search results: the public ones, or explains why none. */
export function chooseHolders (ref: string, results: SearchResult[]): { manifest: string, holders: SearchResult[] } {
  const remote = results.filter(r => !r.node.self)
  const manifests = [...new Set(remote.map(r => r.entry.manifest))]
  if (manifests.length === 0) throw new EntryNotFoundError(results[0]?.entry.kind ?? 'entry', ref)
  if (manifests.length > 1) throw new AmbiguousRefError(ref, manifests)
  const holders = remote.filter(r => r.entry.public)
  if (holders.length === 0) throw new EntryPrivateError(ref)
  return { manifest: manifests[0], holders }
}

type FetchOneOptions = FetchBlobsOptions & { onBytes?: (n: number, peer: string) => void, onResumed?: (n: number) => void, bad?: Set<string> }

/** The partial file of a blob, keeping only the blocks of an earlier attempt that check (a crash may have torn the last one). */
async function openChecked (blobs: BlobStore, target: BlobTarget): Promise<PartialBlob> {
  return await blobs.partial(target.cid, { blocks: { size: target.blockSize, keep: (index, bytes) => blockMatches(target, index, bytes) } })
}

/** The error of a blob no holder served: corrupt if every holder lied, refused if every one refused. */
function noHolderError (cid: string, peers: number, failures: string[], corrupt: number, refused: number): Error {
  if (corrupt > 0 && corrupt === failures.length) return new BlobCorruptError(`every holder sent bytes not matching ${cid}`, { failures })
  if (refused > 0 && refused === failures.length) return new EntryPrivateError(cid)
  return new FetchFailedError(`could not fetch ${cid} from any of ${peers} holder(s)`, failures)
}

/**
 * Fetches one blob: from several holders in parallel when more than one has it and it has
 * several blocks with digests, else from the first holder that serves it right, resuming
 * across holders. A holder that sends a block not matching its digest is added to `bad` and
 * not asked again (for this blob or the entry's next ones).
 */
async function fetchOne (host: Libp2p, blobs: BlobStore, target: BlobTarget, allPeers: PeerId[], log: Logger, options: FetchOneOptions): Promise<void> {
  if (await blobs.has(target.cid)) return
  const peers = allPeers.filter(p => options.bad?.has(p.toString()) !== true)
  const failures: string[] = []
  let corrupt = 0
  let refused = 0
  const failed = (peer: string, err: any): void => {
    if (err?.name === 'BlobCorruptError') { corrupt++; options.bad?.add(peer) }
    if (err?.name === 'EntryPrivateError') refused++
    failures.push(`${peer}: ${err?.name ?? 'Error'}: ${err?.message ?? err}`)
  }
  let partial = await openChecked(blobs, target)
  options.onResumed?.(partial.size)
  if (target.size != null && partial.size === target.size) {
    // every block was kept before a crash: nothing to ask for
    try { await partial.commit(options); return } finally { await partial.close().catch(() => {}) }
  }
  if (peers.length > 1 && target.digests != null && target.size != null && target.size > target.blockSize) {
    try {
      const { complete, failures: dropped } = await fetchParallel(host, peers, { ...target, size: target.size }, partial, log, options)
      for (const [peer, err] of dropped) failed(peer, err)
      if (complete) { await partial.commit(options); return }
    } finally {
      await partial.close().catch(() => {})
    }
    throw noHolderError(target.cid, peers.length, failures, corrupt, refused)
  }
  if (peers.length === 0) await partial.close()
  for (const [i, peer] of peers.entries()) {
    // after a failed attempt, its blocks are checked again (a failed write may have torn the last)
    if (i > 0) partial = await openChecked(blobs, target)
    try {
      options.signal?.throwIfAborted()
      await fetchBlobFrom(host, peer, target, partial, { signal: options.signal, idleTimeout: options.idleTimeout, onBytes: n => options.onBytes?.(n, peer.toString()) })
      await partial.commit(options)
      return
    } catch (err: any) {
      if (options.signal?.aborted === true) throw err
      failed(peer.toString(), err)
      log('fetch of %s from %p failed, trying the next holder: %s: %s', target.cid, peer, err?.name ?? 'Error', err?.message ?? err)
    } finally {
      await partial.close().catch(() => {})
    }
  }
  throw noHolderError(target.cid, peers.length, failures, corrupt, refused)
}

async function readAll (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) { parts.push(chunk); size += chunk.byteLength }
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}

/**
 * Copies every blob of an entry (manifest, block lists, files) from its holders into the
 * blob store, verifying each block and each file, resuming from partial files. Answers the
 * manifest and the CIDs of every blob the entry uses.
 */
export async function fetchEntryBlobs (host: Libp2p, blobs: BlobStore, manifestCid: string, holders: string[], log: Logger, options: FetchBlobsOptions = {}): Promise<{ manifest: Manifest, cids: string[] }> {
  const peers = [...new Set(holders)].map(h => peerIdFromString(h))
  // holders that sent a forged block: not asked again during this fetch
  const bad = new Set<string>()
  options = { ...options, bad } as FetchOneOptions
  options.onProgress?.({ phase: 'manifest', bytes: 0, total: 0 })
  await fetchOne(host, blobs, { cid: manifestCid, maxSize: MAX_MANIFEST_BYTES, blockSize: MAX_MANIFEST_BYTES }, peers, log, options)
  const manifest = decodeManifest(await readAll(blobs.get(manifestCid, { signal: options.signal })))
  const cids = new Set<string>([manifestCid])
  const total = manifest.size
  let bytes = 0
  for (const file of manifest.files) {
    cids.add(file.cid)
    if (await blobs.has(file.cid)) {
      bytes += file.size
      options.onProgress?.({ phase: 'file', file: file.path, bytes, total })
      continue
    }
    let digests: Uint8Array | undefined
    if (file.blocks != null) {
      cids.add(file.blocks)
      const count = Math.ceil(file.size / manifest.blockSize)
      await fetchOne(host, blobs, { cid: file.blocks, size: count * 32, blockSize: Math.max(count * 32, 1) }, peers, log, options)
      digests = await readAll(blobs.get(file.blocks, { signal: options.signal }))
    }
    await fetchOne(host, blobs, { cid: file.cid, size: file.size, blockSize: manifest.blockSize, digests }, peers, log, {
      ...options,
      onResumed: n => {
        bytes += n
        options.onProgress?.({ phase: 'file', file: file.path, bytes, total })
      },
      onBytes: (n, peer) => {
        bytes += n
        options.onProgress?.({ phase: 'file', file: file.path, bytes, total, peer })
      }
    })
  }
  options.onProgress?.({ phase: 'done', bytes: total, total })
  return { manifest, cids: [...cids] }
}
