import { createHash } from 'node:crypto'
import { dialMessages, handleRequests, request } from '../net/rpc.js'
import { RemoteError } from '../net/errors.js'
import { BlobCorruptError, parseBlobCid } from '../storage/index.js'
import { CATALOG_PROTOCOL, FETCH_CHUNK_BYTES, FETCH_IDLE_TIMEOUT, FETCH_PROTOCOL, FETCH_SERVE_TIMEOUT, MAX_LISTED_ENTRIES, PEER_QUERY_TIMEOUT } from './constants.js'
import { decodeAnswer, decodeQuery, matchedTerms } from './entries.js'
import { EntryNotFoundError, EntryPrivateError, FetchFailedError } from './errors.js'
import type { HandlerContext, MessageStream } from '../net/rpc.js'
import type { BlobStore, PartialBlob } from '../storage/index.js'
import type { CatalogQuery } from './entries.js'
import type { CatalogEntry, CatalogStore } from './store.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Entries of this node matching a query (public and private: both are found, only public ones fetched). */
export async function localMatches (store: CatalogStore, query: CatalogQuery): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = []
  for await (const entry of store.list(query.kind)) {
    if (matchedTerms(entry, query.terms).length > 0 || (query.manifests ?? []).includes(entry.manifest)) out.push(entry)
    if (out.length >= MAX_LISTED_ENTRIES) break
  }
  return out
}

/** A fetch request: a blob from `offset`, to its end or `length` bytes (one run of blocks). */
export interface FetchRequest { cid: string, offset: number, length?: number }

function decodeFetchRequest (value: unknown): FetchRequest {
  const v = value as any
  const cid = parseBlobCid(String(v?.cid)).toString()
  const offset = v?.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error('bad offset')
  const length = v?.length
  if (length === undefined || length === null) return { cid, offset }
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad length')
  return { cid, offset, length }
}

/**
 * Answers one fetch request: a header `{ size, offset[, length] }`, then the bytes in binary
 * frames. The bytes are not hashed here: the fetcher checks every block against its digest.
 */
export function serveFetch (store: CatalogStore, blobs: BlobStore): (req: FetchRequest, ctx: HandlerContext) => Promise<undefined> {
  return async (req, ctx) => {
    const users = await store.entriesUsing(req.cid)
    if (users.length === 0) throw new EntryNotFoundError('blob', req.cid)
    if (!users.some(e => e.public)) throw new EntryPrivateError(req.cid)
    const { size } = await blobs.stat(req.cid)
    const length = req.length ?? size - req.offset
    if (req.offset > size || req.offset + length > size) throw new EntryNotFoundError('range', `${req.cid}@${req.offset}+${length}`)
    await ctx.messages.write({ size, offset: req.offset, ...(req.length === undefined ? {} : { length }) }, { signal: ctx.signal })
    if (length === 0) return undefined
    for await (const chunk of blobs.get(req.cid, { offset: req.offset, length, chunkSize: FETCH_CHUNK_BYTES, verify: false, signal: ctx.signal })) {
      await ctx.messages.writeBytes(chunk, { signal: ctx.signal })
    }
    return undefined
  }
}

/** Registers the `/paip/catalog/1.0.0` and `/paip/fetch/1.0.0` handlers on a host. */
export async function handleCatalogProtocols (host: Libp2p, store: CatalogStore, blobs: BlobStore, apiUrl?: string): Promise<void> {
  await handleRequests(host, CATALOG_PROTOCOL, decodeQuery, async query => ({ entries: await localMatches(store, query), ...(apiUrl == null || apiUrl === '' ? {} : { api: apiUrl }) }))
  await handleRequests(host, FETCH_PROTOCOL, decodeFetchRequest, serveFetch(store, blobs), { timeout: FETCH_SERVE_TIMEOUT })
}

export async function unhandleCatalogProtocols (host: Libp2p): Promise<void> {
  await host.unhandle([CATALOG_PROTOCOL, FETCH_PROTOCOL])
}

/** Asks a peer for its entries matching a query. */
export async function queryPeer (host: Libp2p, peer: PeerId, query: CatalogQuery, options: { signal?: AbortSignal, timeout?: number } = {}): Promise<{ entries: CatalogEntry[], api?: string }> {
  return request(host, peer, CATALOG_PROTOCOL, query, decodeAnswer, { signal: options.signal, timeout: options.timeout ?? PEER_QUERY_TIMEOUT })
}

/** What a fetch of one blob must produce: its CID, size and the digest of every block. */
export interface BlobTarget {
  cid: string
  /** Expected size; undefined when unknown (a manifest): then up to `maxSize`, checked whole. */
  size?: number
  maxSize?: number
  blockSize: number
  /** sha-256 digest of each block, in order; a blob without them is one block, checked against its CID. */
  digests?: Uint8Array
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

/**
 * Whether bytes are block `index` of the target: its digest from the block list, or for a blob
 * without one (a manifest, a block list, a one-block file) the CID's when it is the first and only block.
 */
export function blockMatches (target: BlobTarget, index: number, bytes: Uint8Array): boolean {
  const expected = target.digests != null ? target.digests.subarray(index * 32, index * 32 + 32) : index === 0 ? parseBlobCid(target.cid).multihash.digest : undefined
  return expected != null && expected.byteLength === 32 && equal(new Uint8Array(createHash('sha256').update(bytes).digest()), expected)
}

export interface ReceiveOptions { signal?: AbortSignal, idleTimeout?: number }

/** A signal that fires when the caller aborts or `times` the idle timeout passes (for a header, a close, a block). */
function idleSignal (options: ReceiveOptions, times = 1): AbortSignal {
  const t = AbortSignal.timeout((options.idleTimeout ?? FETCH_IDLE_TIMEOUT) * times)
  return options.signal == null ? t : AbortSignal.any([options.signal, t])
}

/**
 * Opens a fetch stream and reads its header: the blob's size, checked against the target.
 * `length` asks for one run of bytes (the header must echo it), else the rest of the blob.
 */
async function openFetch (host: Libp2p, peer: PeerId, target: BlobTarget, offset: number, length: number | undefined, options: ReceiveOptions): Promise<{ messages: MessageStream, size: number }> {
  const messages = await dialMessages(host, peer, FETCH_PROTOCOL, { signal: idleSignal(options) })
  try {
    await messages.write({ cid: target.cid, offset, ...(length === undefined ? {} : { length }) }, { signal: idleSignal(options) })
    const header = await messages.read(v => v as any, { signal: idleSignal(options) })
    if (header?.error != null) {
      if (header.error.name === 'EntryPrivateError') throw new EntryPrivateError(target.cid)
      throw new RemoteError(String(header.error.name), String(header.error.message), header.error.kind ?? 'unavailable')
    }
    const size: number = header?.size
    const sizeOk = target.size == null ? Number.isSafeInteger(size) && size >= 0 && size <= (target.maxSize ?? 0) : size === target.size
    if (!sizeOk || header?.offset !== offset || header?.length !== length) {
      throw new BlobCorruptError(`${peer.toString()} offers ${String(header?.size)} bytes of ${target.cid}, expected ${String(target.size ?? `at most ${target.maxSize ?? 0}`)}`, { peer: peer.toString(), cid: target.cid })
    }
    return { messages, size }
  } catch (err: any) {
    messages.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/**
 * Reads `length` bytes from `offset` off a fetch stream as blocks, each checked (blockMatches)
 * before `onBlock` sees it: each block in a buffer of its own from `allocate` when given
 * (`onBlock` then keeps it), else in one buffer reused once `onBlock` resolves.
 */
async function receiveBlocks (messages: MessageStream, peer: PeerId, target: BlobTarget, size: number, offset: number, length: number, onBlock: (index: number, bytes: Uint8Array) => Promise<void> | void, options: ReceiveOptions & { allocate?: (size: number) => Uint8Array }): Promise<void> {
  const blockSize = target.blockSize
  if (offset % blockSize !== 0 && offset !== size) throw new Error('partial blob not on a block boundary')
  const end = offset + length
  const blockAt = (at: number): Uint8Array => (options.allocate ?? (n => new Uint8Array(n)))(Math.min(blockSize, end - at))
  let block = blockAt(offset)
  let filled = 0
  let position = offset
  // a block must arrive whole within the idle timeout per FETCH_CHUNK_BYTES (what a holder sends
  // in a frame): a peer dripping tiny frames, never silent for the idle timeout, is given up on too
  const blockDeadline = (): AbortSignal => idleSignal(options, Math.max(1, Math.ceil(block.byteLength / FETCH_CHUNK_BYTES)))
  let deadline = blockDeadline()
  while (position < end) {
    const parts = await messages.readByteParts({ signal: deadline })
    const frame = parts.reduce((n, part) => n + part.byteLength, 0)
    if (frame === 0 || position + filled + frame > end) {
      throw new BlobCorruptError(`${peer.toString()} sent more bytes of ${target.cid} than it has`, { peer: peer.toString(), cid: target.cid })
    }
    for (const chunk of parts) {
      let at = 0
      while (at < chunk.byteLength) {
        const take = Math.min(block.byteLength - filled, chunk.byteLength - at)
        block.set(chunk.subarray(at, at + take), filled)
        filled += take
        at += take
        if (filled < block.byteLength) continue
        const index = Math.floor(position / blockSize)
        if (!blockMatches(target, index, block)) {
          throw new BlobCorruptError(`${peer.toString()} sent a block of ${target.cid} that does not match its digest`, { peer: peer.toString(), cid: target.cid, block: index })
        }
        await onBlock(index, block)
        position += filled
        filled = 0
        if (position < end) block = options.allocate != null || end - position < block.byteLength ? blockAt(position) : block
        deadline = blockDeadline()
      }
    }
  }
}

/**
 * Ends a fetch stream whose bytes were all read, without waiting: the holder has the idle timeout
 * (at most STREAM_CLOSE_TIMEOUT) to end its side, else the stream is aborted. The next run starts meanwhile.
 */
function finishInBackground (messages: MessageStream, options: ReceiveOptions): void {
  void messages.finish({ signal: idleSignal(options) }).catch(() => { messages.abort(new Error('fetch stream not ended')) })
}

/** Rethrows a failed receive as what the caller sorts holders by (corrupt, refused, remote, stopped). */
function receiveFailure (err: any, target: BlobTarget, peer: PeerId, options: ReceiveOptions): Error {
  if (options.signal?.aborted === true) return options.signal.reason ?? err
  if (err?.name === 'BlobCorruptError' || err?.name === 'EntryPrivateError' || err?.name === 'RemoteError') return err
  return new FetchFailedError(`fetch of ${target.cid} from ${peer.toString()} stopped: ${err?.message ?? err}`)
}

/**
 * Fetches the rest of one blob from one peer into a partial blob, from its current size, on
 * one stream. Bytes are checked block by block before they are written, so the partial file
 * only ever holds verified bytes and a later attempt (from any peer) resumes where this one stopped.
 */
export async function fetchBlobFrom (host: Libp2p, peer: PeerId, target: BlobTarget, partial: PartialBlob, options: ReceiveOptions & { onBytes?: (n: number) => void } = {}): Promise<void> {
  let opened: { messages: MessageStream, size: number } | undefined
  try {
    opened = await openFetch(host, peer, target, partial.size, undefined, options)
    await receiveBlocks(opened.messages, peer, target, opened.size, partial.size, opened.size - partial.size, async (_index, block) => {
      await partial.write(block, options)
      options.onBytes?.(block.byteLength)
    }, options)
    finishInBackground(opened.messages, options)
  } catch (err: any) {
    opened?.messages.abort(err instanceof Error ? err : new Error(String(err)))
    throw receiveFailure(err, target, peer, options)
  }
}

/**
 * Fetches blocks `first` to `first + count - 1` of a blob from one peer on one stream, handing
 * each verified block (in its own buffer, from `allocate`) to `onBlock`.
 */
export async function fetchBlocksFrom (host: Libp2p, peer: PeerId, target: BlobTarget & { size: number }, first: number, count: number, onBlock: (index: number, bytes: Uint8Array) => void, options: ReceiveOptions & { allocate?: (size: number) => Uint8Array } = {}): Promise<void> {
  const offset = first * target.blockSize
  const length = Math.min(target.size, (first + count) * target.blockSize) - offset
  let opened: { messages: MessageStream, size: number } | undefined
  try {
    opened = await openFetch(host, peer, target, offset, length, options)
    await receiveBlocks(opened.messages, peer, target, opened.size, offset, length, onBlock, { ...options, allocate: options.allocate ?? (n => new Uint8Array(n)) })
    finishInBackground(opened.messages, options)
  } catch (err: any) {
    opened?.messages.abort(err instanceof Error ? err : new Error(String(err)))
    throw receiveFailure(err, target, peer, options)
  }
}

export { FETCH_CHUNK_BYTES }
