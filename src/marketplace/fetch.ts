/** Fetching objects by CID from any provider, verified on receipt. */
import { CID } from 'multiformats/cid'
import { request } from '../net/rpc.js'
import * as C from './constants.js'
import { ContentMismatchError, ContentUnavailableError } from './errors.js'
import { verifyCid } from './objects.js'
import { decodeFetchAnswer } from './wire.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Host } from '../net/host.js'
import type { Routing } from '../net/routing.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'

export interface FetchOptions extends AbortOptions {
  /** Peers to ask first (the publisher, the peers that answered a search). */
  prefer?: Array<PeerId | string>
  peerTimeout?: number
}

/** Asks one peer for a CID and checks the bytes hash to it. */
export async function fetchFrom (host: Host, peer: PeerId, cid: string, options: AbortOptions & { peerTimeout?: number } = {}): Promise<Uint8Array> {
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, AbortSignal.timeout(options.peerTimeout ?? C.FETCH_TIMEOUT)])
  const answer = await request(host, peer, C.FETCH_PROTOCOL, { cid }, decodeFetchAnswer, { signal, maxMessageBytes: C.MAX_FETCH_MESSAGE_BYTES })
  const bytes = new Uint8Array(Buffer.from(answer.data, 'base64'))
  verifyCid(cid, bytes)
  return bytes
}

/**
 * Fetches a CID: preferred peers first, then the providers the DHT names, one at a time, until
 * one serves bytes matching the CID. ContentUnavailableError when none did.
 */
export async function fetchObject (host: Host, routing: Routing, cid: string, log: Logger, options: FetchOptions = {}): Promise<Uint8Array> {
  const tried = new Set<string>([host.peerId.toString()])
  const attempt = async (peer: PeerId, signal?: AbortSignal): Promise<Uint8Array[]> => {
    tried.add(peer.toString())
    try {
      return [await fetchFrom(host, peer, cid, { ...options, signal: signal ?? options.signal })]
    } catch (err: any) {
      log('fetch %s from %p failed: %s%s', cid, peer, err?.name, err instanceof ContentMismatchError ? ' (bytes did not match)' : '')
      return []
    }
  }
  for (const p of options.prefer ?? []) {
    const peer = typeof p === 'string' ? peerIdFromString(p) : p
    if (tried.has(peer.toString())) continue
    const [bytes] = await attempt(peer)
    if (bytes != null) return bytes
  }
  const found = routing.discover({
    keys: [CID.parse(cid)],
    ask: async (peer, { signal }) => tried.has(peer.toString()) ? [] : await attempt(peer, signal)
  }, { signal: options.signal, findTimeout: C.FIND_PROVIDERS_TIMEOUT, timeout: C.FIND_PROVIDERS_TIMEOUT + (options.peerTimeout ?? C.FETCH_TIMEOUT), peerTimeout: options.peerTimeout ?? C.FETCH_TIMEOUT, concurrency: 1 })
  for await (const { value } of found) return value
  throw new ContentUnavailableError(cid, tried.size - 1)
}
