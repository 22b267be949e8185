import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '../errors.js'
import { listenAddressesOf, namedPeer } from './addresses.js'
import { PeerUnavailableError } from './errors.js'
import { DIAL_TIMEOUT } from './constants.js'
import { measureRtt } from './rtt.js'
import { pause } from '../time.js'
import type { Host } from './host.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface PeerInfo {
  peerId: string
  /**
   * The addresses it listens on (identify's listen addresses, else what the peer store
   * learnt from the DHT), best first to dial; never an inbound connection's ephemeral port.
   */
  addresses: string[]
  connected: boolean
  inRoutingTable: boolean
}

/** The peer IDs in the DHT's routing table. */
export function routingTablePeers (host: Host): PeerId[] {
  const table: any = host.services.dht.routingTable
  const kb = table?.kb
  if (kb == null || typeof kb.toIterable !== 'function') return []
  return [...kb.toIterable()].map((peer: any) => peer.peerId as PeerId)
}

/** Every peer the node is connected to or holds in its routing table. */
export async function listPeers (host: Host): Promise<PeerInfo[]> {
  const byId = new Map<string, { peerId: PeerId, connected: boolean, inRoutingTable: boolean }>()
  for (const connection of host.getConnections()) {
    byId.set(connection.remotePeer.toString(), { peerId: connection.remotePeer, connected: true, inRoutingTable: false })
  }
  for (const peerId of routingTablePeers(host)) {
    const id = peerId.toString()
    const info = byId.get(id) ?? { peerId, connected: false, inRoutingTable: true }
    info.inRoutingTable = true
    byId.set(id, info)
  }
  const peers = await Promise.all([...byId.entries()].map(async ([id, info]) => ({
    peerId: id,
    addresses: (await listenAddressesOf(host, info.peerId)).map(a => a.toString()),
    connected: info.connected,
    inRoutingTable: info.inRoutingTable
  })))
  return peers.sort((a, b) => a.peerId.localeCompare(b.peerId))
}

/** A peer ID or a multiaddr (with `/p2p/<id>`) given by a user. */
export function parsePeerTarget (text: string): PeerId | Multiaddr {
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidArgumentError('expected a peer ID or a multiaddr')
  const trimmed = text.trim()
  if (trimmed.startsWith('/')) {
    try {
      return multiaddr(trimmed)
    } catch (err: any) {
      throw new InvalidArgumentError(`not a valid multiaddr: ${trimmed} (${err.message})`)
    }
  }
  try {
    return peerIdFromString(trimmed)
  } catch {
    throw new InvalidArgumentError(`not a valid peer ID or multiaddr: ${trimmed}`)
  }
}

/** Round-trip time (ms) to a peer (dialling it if needed): paip's echo protocol, else libp2p's ping. */
export async function pingPeer (host: Host, target: PeerId | Multiaddr, options: AbortOptions = {}): Promise<number> {
  const signal = options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT)
  if (!isMultiaddr(target) && target.equals(host.peerId)) throw new InvalidArgumentError('cannot ping this node itself')
  try {
    return await measureRtt(host, target, { signal })
  } catch (err: any) {
    // a peer that is not a paip node: libp2p's ping below
    if (err?.name !== 'UnsupportedProtocolError') {
      throw new PeerUnavailableError(`could not ping ${target.toString()}: ${err.message ?? err}`, { cause: err })
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await host.services.ping.ping(target, { signal })
    } catch (err: any) {
      // libp2p's ping allows one outbound stream per connection, which the connection monitor
      // and the DHT's contact checks use too: wait for theirs to end and try again
      if (err?.name === 'TooManyOutboundProtocolStreamsError' && !signal.aborted) {
        if (attempt < PING_ATTEMPTS) {
          await pause(50 * attempt, signal)
          continue
        }
        // still busy: the connection monitor's own measurement (same protocol) will do
        const peer = isMultiaddr(target) ? namedPeer(target) : target.toString()
        const rtt = host.getConnections().find(c => c.remotePeer.toString() === peer && c.rtt != null)?.rtt
        if (rtt != null) return rtt
      }
      throw new PeerUnavailableError(`could not ping ${target.toString()}: ${err.message ?? err}`, { cause: err })
    }
  }
}

/** Tries of one ping when its stream collides with another ping on the same connection. */
const PING_ATTEMPTS = 5

export interface JoinRequest {
  nodeId: string
  nodeAddress: string
}

/**
 * Seed 002's `/join`: dials the node at its multiaddr and adds it to the routing table.
 * The address may carry `/p2p/<id>`, which must then be `nodeId`.
 */
export async function joinPeer (host: Host, request: JoinRequest, options: AbortOptions = {}): Promise<{ peerId: PeerId, address: Multiaddr }> {
  let peerId: PeerId
  try {
    peerId = peerIdFromString(request.nodeId)
  } catch {
    throw new InvalidArgumentError(`node-id is not a valid peer ID: ${request.nodeId}`)
  }
  if (peerId.equals(host.peerId)) throw new InvalidArgumentError('node-id is this node itself')
  if (/^https?:\/\//i.test(request.nodeAddress)) return await joinByUrl(host, peerId, request.nodeAddress, options)
  let address: Multiaddr
  try {
    address = multiaddr(request.nodeAddress)
  } catch (err: any) {
    throw new InvalidArgumentError(`node-address is not a valid multiaddr: ${request.nodeAddress} (${err.message})`)
  }
  const named = namedPeer(address)
  if (named != null && named !== peerId.toString()) {
    throw new InvalidArgumentError(`node-address names peer ${named}, not node-id ${peerId.toString()}`)
  }
  if (named == null) address = address.encapsulate(`/p2p/${peerId.toString()}`)
  const signal = options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT)
  try {
    await host.dial(address, { signal })
  } catch (err: any) {
    throw new PeerUnavailableError(`could not reach ${address.toString()}: ${err.message ?? err}`, { cause: err })
  }
  const table: any = host.services.dht.routingTable
  if (typeof table?.add === 'function') await table.add(peerId, { signal }).catch(() => {})
  return { peerId, address }
}

/** Largest answer read from another node's `/api/v1/id`. */
const MAX_ID_ANSWER_BYTES = 64 * 1024

/**
 * Seed 002's form of `/join`: `node-address` is the HTTP URL of another paip node. Asks it
 * (`GET <url>/api/v1/id`) for its peer ID, which must be `node-id`, and the addresses it listens
 * on, then dials them, best first, until one answers.
 */
async function joinByUrl (host: Host, peerId: PeerId, url: string, options: AbortOptions): Promise<{ peerId: PeerId, address: Multiaddr }> {
  let base: URL
  try { base = new URL(url) } catch { throw new InvalidArgumentError(`node-address is not a valid URL: ${url.slice(0, 200)}`) }
  if (base.username !== '' || base.password !== '') throw new InvalidArgumentError('node-address: a URL with a user or password is refused')
  const signal = options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT)
  const idUrl = new URL('api/v1/id', base.href.endsWith('/') ? base.href : `${base.href}/`)
  let answer: any
  try {
    const response = await fetch(idUrl, { signal, redirect: 'error', headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`it answered ${response.status} to GET ${idUrl.pathname}`)
    const text = await readCapped(response, MAX_ID_ANSWER_BYTES)
    answer = JSON.parse(text)
  } catch (err: any) {
    throw new PeerUnavailableError(`could not ask ${base.origin} for its peer ID and addresses (is it a paip node?): ${err?.message ?? err}`, { cause: err })
  }
  if (typeof answer?.peerId !== 'string' || !Array.isArray(answer.addresses)) throw new PeerUnavailableError(`${base.origin} is not a paip node: its /api/v1/id answer has no peerId and addresses`)
  if (answer.peerId !== peerId.toString()) throw new InvalidArgumentError(`the node at ${base.origin} is ${String(answer.peerId).slice(0, 100)}, not node-id ${peerId.toString()}`)
  const addresses: Multiaddr[] = []
  for (const text of answer.addresses.slice(0, 32)) {
    try {
      const ma = multiaddr(String(text))
      const named = namedPeer(ma)
      if (named != null && named !== peerId.toString()) continue
      addresses.push(named == null ? ma.encapsulate(`/p2p/${peerId.toString()}`) : ma)
    } catch {}
  }
  // addresses on the host of the URL first: that is where this node reached it
  const onHost = (ma: Multiaddr): number => ma.getComponents().some(c => c.value === base.hostname.replace(/^\[|\]$/g, '')) ? 0 : 1
  addresses.sort((a, b) => onHost(a) - onHost(b))
  let last: any
  for (const address of addresses) {
    try {
      await host.dial(address, { signal })
      const table: any = host.services.dht.routingTable
      if (typeof table?.add === 'function') await table.add(peerId, { signal }).catch(() => {})
      return { peerId, address }
    } catch (err: any) {
      last = err
      if (signal.aborted) break
    }
  }
  throw new PeerUnavailableError(`could not reach ${peerId.toString()} at any of the ${addresses.length} address(es) ${base.origin} gave${last == null ? '' : `: ${last.message ?? last}`}`, { cause: last })
}

async function readCapped (response: Response, max: number): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as any as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > max) throw new Error(`its answer is over ${max} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function isMultiaddr (target: PeerId | Multiaddr): target is Multiaddr {
  return typeof (target as any).getComponents === 'function'
}
