/** Fetching objects by CID from any provider, verified on receipt. */
import { CID } from 'multiformats/cid'
import { request } from '../net/rpc.js'
import * as C from './constants.js'
import { ContentMismatchError, ContentUnavailableError } from './errors.js'
import { verifyCid } from './objects.js'
import { decodeFetchAnswer } from './wire.js'
import type { Host } from '../net/host.js'
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
 * Fetches a CID: preferred peers first, then every provider the DHT knows, until one serves
 * bytes matching the CID. ContentUnavailableError when none did.
 */
export async function fetchObject (host: Host, cid: string, log: Logger, options: FetchOptions = {}): Promise<Uint8Array> {
  const tried = new Set<string>([host.peerId.toString()])
  const attempt = async (peer: PeerId): Promise<Uint8Array | undefined> => {
    tried.add(peer.toString())
    try {
      return await fetchFrom(host, peer, cid, options)
    } catch (err: any) {
      log('fetch %s from %p failed: %s%s', cid, peer, err?.name, err instanceof ContentMismatchError ? ' (bytes did not match)' : '')
      return undefined
    }
  }
  const { peerIdFromString } = await import('@libp2p/peer-id')
  for (const p of options.prefer ?? []) {
    const peer = typeof p === 'string' ? peerIdFromString(p) : p
    if (tried.has(peer.toString())) continue
    const bytes = await attempt(peer)
    if (bytes != null) return bytes
  }
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, AbortSignal.timeout(C.FIND_PROVIDERS_TIMEOUT)])
  try {
    for await (const event of host.services.dht.findProviders(CID.parse(cid), { signal })) {
      if (event.name !== 'PROVIDER') continue
      for (const provider of event.providers) {
        if (tried.has(provider.id.toString())) continue
        if (provider.multiaddrs.length > 0) await host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
        const bytes = await attempt(provider.id)
        if (bytes != null) return bytes
      }
    }
  } catch (err: any) {
    log('provider lookup for %s ended: %s', cid, err?.message)
  }
  throw new ContentUnavailableError(cid, tried.size - 1)
}
