import { createHash } from 'node:crypto'
import { dialMessages, handleRequests, request } from '../net/rpc.js'
import { RemoteError } from '../net/errors.js'
import { BlobCorruptError, parseBlobCid } from '../storage/index.js'
import { CATALOG_PROTOCOL, FETCH_CHUNK_BYTES, FETCH_IDLE_TIMEOUT, FETCH_PROTOCOL, FETCH_SERVE_TIMEOUT, MAX_LISTED_ENTRIES, PEER_QUERY_TIMEOUT } from './constants.js'
import { decodeAnswer, decodeQuery, matchedTerms } from './entries.js'
import { EntryNotFoundError, EntryPrivateError, FetchFailedError } from './errors.js'
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

interface FetchRequest { cid: string, offset: number }

function decodeFetchRequest (value: unknown): FetchRequest {
  const v = value as any
  const cid = parseBlobCid(String(v?.cid)).toString()
  const offset = v?.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error('bad offset')
  return { cid, offset }
}

/** Registers the `/paip/catalog/1.0.0` and `/paip/fetch/1.0.0` handlers on a host. */
export async function handleCatalogProtocols (host: Libp2p, store: CatalogStore, blobs: BlobStore, apiUrl?: string): Promise<void> {
  await handleRequests(host, CATALOG_PROTOCOL, decodeQuery, async query => ({ entries: await localMatches(store, query), ...(apiUrl == null || apiUrl === '' ? {} : { api: apiUrl }) }))
  await handleRequests(host, FETCH_PROTOCOL, decodeFetchRequest, async (req, ctx) => {
    const users = await store.entriesUsing(req.cid)
    if (users.length === 0) throw new EntryNotFoundError('blob', req.cid)
    if (!users.some(e => e.public)) throw new EntryPrivateError(req.cid)
    const { size } = await blobs.stat(req.cid)
    if (req.offset > size) throw new EntryNotFoundError('range', `${req.cid}@${req.offset}`)
    await ctx.messages.write({ size, offset: req.offset }, { signal: ctx.signal })
    for await (const chunk of blobs.get(req.cid, { offset: req.offset, chunkSize: FETCH_CHUNK_BYTES, signal: ctx.signal })) {
      await ctx.messages.writeBytes(chunk, { signal: ctx.signal })
    }
    return undefined
  }, { timeout: FETCH_SERVE_TIMEOUT })
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
  /** sha-256 digest of each block, in order; without it only a one-block blob is checked per block. */
  digests?: Uint8Array
}

function digestAt (target: BlobTarget, size: number, index: number): Uint8Array | undefined {
  if (size <= target.blockSize) return parseBlobCid(target.cid).multihash.digest
  return target.digests?.subarray(index * 32, index * 32 + 32)
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

/**
 * Fetches the rest of one blob from one peer into a partial blob, from its current size.
 * Bytes are checked block by block before they are written, so the partial file only ever
 * holds verified bytes and a later attempt (from any peer) resumes where this one stopped.
 */
export async function fetchBlobFrom (host: Libp2p, peer: PeerId, target: BlobTarget, partial: PartialBlob, options: { signal?: AbortSignal, idleTimeout?: number, onBytes?: (n: number) => void } = {}): Promise<void> {
  const blockSize = target.blockSize
  const idle = (): AbortSignal => {
    const t = AbortSignal.timeout(options.idleTimeout ?? FETCH_IDLE_TIMEOUT)
    return options.signal == null ? t : AbortSignal.any([options.signal, t])
  }
  const messages = await dialMessages(host, peer, FETCH_PROTOCOL, { signal: idle() })
  try {
    await messages.write({ cid: target.cid, offset: partial.size }, { signal: idle() })
    const header = await messages.read(v => v as any, { signal: idle() })
    if (header?.error != null) {
      if (header.error.name === 'EntryPrivateError') throw new EntryPrivateError(target.cid)
      throw new RemoteError(String(header.error.name), String(header.error.message), header.error.kind ?? 'unavailable')
    }
    const size: number = header?.size
    const sizeOk = target.size == null ? Number.isSafeInteger(size) && size >= 0 && size <= (target.maxSize ?? 0) : size === target.size
    if (!sizeOk || header?.offset !== partial.size) {
      throw new BlobCorruptError(`${peer.toString()} offers ${String(header?.size)} bytes of ${target.cid}, expected ${String(target.size ?? `at most ${target.maxSize ?? 0}`)}`)
    }
    const checked = size <= blockSize || target.digests != null
    if (checked && partial.size % blockSize !== 0 && partial.size !== size) throw new Error('partial blob not on a block boundary')
    const block = new Uint8Array(Math.min(blockSize, size))
    let filled = 0
    let position = partial.size
    const flush = async (): Promise<void> => {
      const index = Math.floor(position / blockSize)
      const expected = checked ? digestAt(target, size, index) : undefined
      const digest = expected == null ? undefined : createHash('sha256').update(block.subarray(0, filled)).digest()
      if (expected != null && (digest == null || !equal(new Uint8Array(digest), expected))) {
        throw new BlobCorruptError(`${peer.toString()} sent a block of ${target.cid} that does not match its digest`, { peer: peer.toString(), cid: target.cid, block: index })
      }
      await partial.write(block.subarray(0, filled), options)
      position += filled
      options.onBytes?.(filled)
      filled = 0
    }
    while (position + filled < size) {
      const chunk = await messages.readBytes({ signal: idle() })
      if (chunk.byteLength === 0 || position + filled + chunk.byteLength > size) {
        throw new BlobCorruptError(`${peer.toString()} sent more bytes of ${target.cid} than it has`)
      }
      let at = 0
      while (at < chunk.byteLength) {
        const take = Math.min(block.byteLength - filled, chunk.byteLength - at, blockSize - filled)
        block.set(chunk.subarray(at, at + take), filled)
        filled += take
        at += take
        if (filled === blockSize || position + filled === size) await flush()
      }
    }
    await messages.close({ signal: idle() }).catch(() => {})
  } catch (err: any) {
    messages.abort(err instanceof Error ? err : new Error(String(err)))
    if (options.signal?.aborted === true) throw options.signal.reason ?? err
    if (err?.name === 'BlobCorruptError' || err?.name === 'EntryPrivateError' || err?.name === 'RemoteError') throw err
    throw new FetchFailedError(`fetch of ${target.cid} from ${peer.toString()} stopped: ${err?.message ?? err}`)
  }
}

export { FETCH_CHUNK_BYTES }
