import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { cidOfBytes, parseBlobCid } from '../storage/index.js'
import { BLOCK_BYTES, MAX_BLOCK_BYTES, MAX_DEPTH, MAX_FILES, MAX_MANIFEST_BYTES, MIN_BLOCK_BYTES } from './constants.js'
import { InvalidFileNameError, InvalidManifestError, InvalidUploadError, PathNotFoundError, SpecialFileError, SymlinkOutsideError, TreeTooLargeError } from './errors.js'
import type { BlobStore } from '../storage/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** One file of a dataset or model. */
export interface ManifestFile {
  /** Relative path with `/` separators, no `..`. */
  path: string
  size: number
  /** CID of the file's bytes. */
  cid: string
  /** For files over one block: CID of the blob holding the sha-256 digest of every block. */
  blocks?: string
}

/** The list of files of a dataset or model; stored as a JSON blob named by its own CID. */
export interface Manifest {
  version: 1
  blockSize: number
  size: number
  files: ManifestFile[]
}

export interface IngestResult {
  manifest: Manifest
  manifestCid: CID
  /** Every blob the entry uses: the manifest, the files and their block lists. */
  cids: string[]
}

export interface IngestOptions extends AbortOptions {
  onProgress?: (bytes: number) => void
}

interface WalkedFile { abs: string, rel: string }

function inside (root: string, target: string): boolean {
  const rel = path.relative(root, target)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

async function lstatOrNotFound (file: string): Promise<import('node:fs').Stats> {
  try { return await fs.lstat(file) } catch (err: any) {
    if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR') throw new PathNotFoundError(file)
    throw err
  }
}

/**
 * Lists the regular files under `input` (a file or a directory). Symlinks to files inside
 * the tree are followed, symlinks pointing outside refused, special files refused.
 */
export async function walkTree (input: string, options: AbortOptions = {}): Promise<WalkedFile[]> {
  const given = path.resolve(input)
  const top = await lstatOrNotFound(given)
  const root = top.isSymbolicLink() ? await fs.realpath(given).catch(() => { throw new PathNotFoundError(given) }) : given
  const rootStat = await fs.stat(root)
  if (rootStat.isFile()) return [{ abs: root, rel: path.basename(given) }]
  if (!rootStat.isDirectory()) throw new SpecialFileError(given)
  const realRoot = await fs.realpath(root)
  const files: WalkedFile[] = []

  async function visit (dir: string, rel: string, depth: number): Promise<void> {
    options.signal?.throwIfAborted()
    if (depth > MAX_DEPTH) throw new TreeTooLargeError(`directories nested deeper than ${MAX_DEPTH} under ${given}`)
    const names = (await fs.readdir(dir)).sort()
    for (const name of names) {
      const abs = path.join(dir, name)
      const relPath = rel === '' ? name : `${rel}/${name}`
      const stat = await fs.lstat(abs)
      if (stat.isSymbolicLink()) {
        let target: string
        try { target = await fs.realpath(abs) } catch { throw new SymlinkOutsideError(abs) }
        if (!inside(realRoot, target)) throw new SymlinkOutsideError(abs)
        const targetStat = await fs.stat(target)
        if (targetStat.isDirectory()) continue // its files are in the tree already
        if (!targetStat.isFile()) throw new SpecialFileError(abs)
        files.push({ abs: target, rel: relPath })
      } else if (stat.isDirectory()) {
        await visit(abs, relPath, depth + 1)
      } else if (stat.isFile()) {
        files.push({ abs, rel: relPath })
      } else {
        throw new SpecialFileError(abs)
      }
      if (files.length > MAX_FILES) throw new TreeTooLargeError(`more than ${MAX_FILES} files under ${given}`)
    }
  }

  await visit(realRoot, '', 0)
  return files
}

/** Hashes blocks of a stream as it passes through, collecting each block's sha-256 digest. */
export function blockHasher (blockSize = BLOCK_BYTES): { pass: (source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>, digests: () => Uint8Array } {
  const digests: Uint8Array[] = []
  let hash = createHash('sha256')
  let filled = 0
  return {
    async * pass (source) {
      for await (const chunk of source) {
        let at = 0
        while (at < chunk.byteLength) {
          const take = Math.min(blockSize - filled, chunk.byteLength - at)
          hash.update(chunk.subarray(at, at + take))
          filled += take
          at += take
          if (filled === blockSize) {
            digests.push(hash.digest())
            hash = createHash('sha256')
            filled = 0
          }
        }
        yield chunk
      }
    },
    digests () {
      if (filled > 0) { digests.push(hash.digest()); filled = 0 }
      const out = new Uint8Array(digests.length * 32)
      digests.forEach((d, i) => out.set(d, i * 32))
      return out
    }
  }
}

/** Stores one stream as a file of an entry (with its block list when over one block). */
export async function ingestFile (blobs: BlobStore, source: AsyncIterable<Uint8Array>, rel: string, cids: Set<string>, options: IngestOptions & { progressBase?: number, maxBytes?: number } = {}): Promise<ManifestFile> {
  const hasher = blockHasher()
  const base = options.progressBase ?? 0
  const { cid, size } = await blobs.put(hasher.pass(source), {
    signal: options.signal,
    maxBytes: options.maxBytes,
    onProgress: bytes => options.onProgress?.(base + bytes)
  })
  cids.add(cid.toString())
  const file: ManifestFile = { path: rel, size, cid: cid.toString() }
  if (size > BLOCK_BYTES) {
    const blocks = await blobs.put(hasher.digests(), { signal: options.signal })
    cids.add(blocks.cid.toString())
    file.blocks = blocks.cid.toString()
  }
  return file
}

/** Stores a manifest built from files and returns its CID. */
export async function storeManifest (blobs: BlobStore, files: ManifestFile[], cids: Set<string>, options: AbortOptions = {}): Promise<IngestResult> {
  const sorted = [...files].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  const manifest: Manifest = { version: 1, blockSize: BLOCK_BYTES, size: sorted.reduce((n, f) => n + f.size, 0), files: sorted }
  const bytes = encodeManifest(manifest)
  const { cid } = await blobs.put(bytes, { signal: options.signal })
  cids.add(cid.toString())
  return { manifest, manifestCid: cid, cids: [...cids] }
}

/**
 * Copies a file or directory tree into the blob store, hashing as it streams, and stores its
 * manifest. `cids` collects every blob stored, so a failed add can be undone by the caller.
 */
export async function ingestPath (blobs: BlobStore, input: string, cids: Set<string>, options: IngestOptions = {}): Promise<IngestResult> {
  const walked = await walkTree(input, options)
  const files: ManifestFile[] = []
  let done = 0
  for (const { abs, rel } of walked) {
    const file = await ingestFile(blobs, createReadStream(abs, { highWaterMark: 256 * 1024, signal: options.signal }), rel, cids, { ...options, progressBase: done })
    done += file.size
    files.push(file)
  }
  return storeManifest(blobs, files, cids, options)
}

/** One file of an uploaded tree: its relative path and its bytes (read before the next file). */
export interface UploadedFile {
  path: string
  stream: AsyncIterable<Uint8Array>
}

/**
 * Stores the files of an uploaded tree as they stream in, one after another, and stores their
 * manifest. Paths are checked as a manifest's are (relative, no `..`), each path once, at most
 * MAX_FILES files and `maxBytes` bytes in all (then nothing is kept: the caller undoes `cids`).
 */
export async function ingestFiles (blobs: BlobStore, source: AsyncIterable<UploadedFile>, cids: Set<string>, options: IngestOptions & { maxBytes?: number } = {}): Promise<IngestResult> {
  const files: ManifestFile[] = []
  const seen = new Set<string>()
  let done = 0
  for await (const upload of source) {
    options.signal?.throwIfAborted()
    let rel: string
    try { rel = safeRelativePath(upload.path) } catch { throw new InvalidUploadError(`unsafe path in the upload: ${String(upload.path).slice(0, 200)} (relative paths without .. only)`) }
    if (seen.has(rel)) throw new InvalidUploadError(`the upload has ${rel} twice`)
    seen.add(rel)
    if (files.length >= MAX_FILES) throw new TreeTooLargeError(`more than ${MAX_FILES} files in the upload`)
    const maxBytes = options.maxBytes == null ? undefined : options.maxBytes - done
    const file = await ingestFile(blobs, upload.stream, rel, cids, { ...options, progressBase: done, maxBytes })
    done += file.size
    files.push(file)
  }
  if (files.length === 0) throw new InvalidUploadError('the upload has no files')
  return storeManifest(blobs, files, cids, options)
}

export function encodeManifest (manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    version: manifest.version,
    blockSize: manifest.blockSize,
    size: manifest.size,
    files: manifest.files.map(f => f.blocks == null ? { path: f.path, size: f.size, cid: f.cid } : { path: f.path, size: f.size, cid: f.cid, blocks: f.blocks })
  }))
}

/** Checks a relative path from a manifest: no absolute paths, no `..`, no empty parts. */
/** The name of an uploaded file: one path segment a file can have. */
export function checkUploadName (value: string): string {
  // eslint-disable-next-line no-control-regex
  if (value === '' || value === '.' || value === '..' || Buffer.byteLength(value) > 255 || /[/\\\x00-\x1f\x7f]/.test(value)) throw new InvalidFileNameError(value)
  return value
}

export function safeRelativePath (value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 4096) throw new InvalidManifestError('manifest file path missing or too long')
  if (value.startsWith('/') || value.includes('\\') || value.includes('\0')) throw new InvalidManifestError(`unsafe path in manifest: ${value.slice(0, 100)}`)
  for (const part of value.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new InvalidManifestError(`unsafe path in manifest: ${value.slice(0, 100)}`)
  }
  return value
}

/** Parses and checks a manifest received from a peer (already verified against its CID). */
export function decodeManifest (bytes: Uint8Array): Manifest {
  let value: any
  try { value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) } catch {
    throw new InvalidManifestError('manifest is not JSON')
  }
  if (value?.version !== 1 || !Number.isSafeInteger(value.blockSize) || value.blockSize <= 0 || !Array.isArray(value.files) || value.files.length > MAX_FILES) {
    throw new InvalidManifestError('manifest is not a version 1 manifest')
  }
  if (value.blockSize < MIN_BLOCK_BYTES || value.blockSize > MAX_BLOCK_BYTES) {
    throw new InvalidManifestError(`manifest block size ${value.blockSize} outside ${MIN_BLOCK_BYTES}-${MAX_BLOCK_BYTES} bytes`)
  }
  const seen = new Set<string>()
  let total = 0
  const files: ManifestFile[] = value.files.map((f: any) => {
    const p = safeRelativePath(f?.path)
    if (seen.has(p)) throw new InvalidManifestError(`duplicate path in manifest: ${p}`)
    seen.add(p)
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw new InvalidManifestError(`bad size for ${p}`)
    total += f.size
    try {
      parseBlobCid(f.cid)
      if (f.blocks != null) parseBlobCid(f.blocks)
    } catch { throw new InvalidManifestError(`bad CID for ${p}`) }
    if (f.size > value.blockSize && f.blocks == null) throw new InvalidManifestError(`no block list for ${p}`)
    // the block list (32 bytes a block) is fetched as one piece, like a manifest
    if (Math.ceil(f.size / value.blockSize) * 32 > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`block list of ${p} over ${MAX_MANIFEST_BYTES} bytes`)
    return f.blocks == null ? { path: p, size: f.size, cid: f.cid } : { path: p, size: f.size, cid: f.cid, blocks: f.blocks }
  })
  if (value.size !== total) throw new InvalidManifestError('manifest size is not the sum of its files')
  return { version: 1, blockSize: value.blockSize, size: total, files }
}

/** The CID a manifest is stored under. */
export function manifestCid (manifest: Manifest): CID {
  return cidOfBytes(encodeManifest(manifest))
}
