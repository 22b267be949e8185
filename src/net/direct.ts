/**
 * Storing a record or a provider record at once on the peers closest to its key that the local
 * routing table already holds, without the lookup kad-dht's `put` and `provide` run first
 * (IPFS's "optimistic provide" in its simplest form). The message is kad-dht's own
 * (PUT_VALUE, ADD_PROVIDER on the grid's DHT protocol), written by kad-dht's network, so the
 * peers store it exactly as they would from kad-dht's `put` or `provide`.
 *
 * What a peer's acknowledgement means: for PUT_VALUE, the peer answered with the record as sent
 * (kad-dht answers once it stored it). ADD_PROVIDER has no answer in kad-dht's protocol (its own
 * `provide` counts a message written as a peer reached); here a peer counts once it closed the
 * stream after the message, which kad-dht's handler does only after it stored the provider
 * record. Either way a hostile peer can acknowledge and drop: an acknowledgement says an honest
 * peer holds it, never that the record is safe.
 *
 * It is an early start, never the whole job: the caller runs the lookup-based put or provide as
 * well (in the background), which reaches the closest peers of the whole grid when the local
 * table is partial or hostile, whatever the acknowledgements said.
 */
import { MessageType, Record as DhtRecord } from '@libp2p/kad-dht'
import { channel } from './channel.js'
import { bucketSize, closestInTable, kadId } from './lookup.js'
import { sameBytes } from './record/sign.js'
import { abortable, pause } from '../time.js'
import type { AbortOptions, PeerId, Stream } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * kad-dht 16's network (not in its typed interface): one request to one peer, its protocol, its
 * connection manager and how it writes one message on a stream.
 */
interface KadNetwork {
  sendRequest: (to: PeerId, msg: Record<string, unknown>, options: AbortOptions & { path: unknown }) => AsyncIterable<QueryEvent>
  protocol: string
  components: { connectionManager: { openStream: (to: PeerId, protocol: string, options: AbortOptions) => Promise<Stream> } }
  _writeMessage: (stream: Stream, msg: Record<string, unknown>, options: AbortOptions) => Promise<void>
}

/** One peer's outcome. */
export interface DirectAck {
  peer: PeerId
  /** The peer took the message (for a put: answered with the record as sent). */
  ok: boolean
}

const PATH = { index: -1, queued: 0, running: 0, total: 0 }

function networkOf (dht: unknown): KadNetwork | undefined {
  const network = (dht as { network?: Partial<KadNetwork> }).network
  const usable = typeof network?.sendRequest === 'function' && typeof network._writeMessage === 'function' &&
    typeof network.protocol === 'string' && typeof network.components?.connectionManager?.openStream === 'function'
  return usable ? network as KadNetwork : undefined
}

/**
 * Writes one message that has no answer and resolves true once the peer ended the stream after
 * it: kad-dht's handler reads the next message only after it handled this one, then closes the
 * stream or (when our end of the stream arrived first) resets it. A transport that failed, or
 * the signal, ends it without the peer.
 */
async function sendAndAwaitClose (network: KadNetwork, to: PeerId, msg: Record<string, unknown>, signal?: AbortSignal): Promise<boolean> {
  const stream = await network.components.connectionManager.openStream(to, network.protocol, { signal })
  const closed = new Promise<boolean>(resolve => {
    stream.addEventListener('close', (event: Event) => {
      const error = (event as Event & { error?: Error }).error
      resolve(error == null || error.name === 'StreamResetError')
    }, { once: true })
  })
  try {
    await network._writeMessage(stream, msg, { signal })
    await stream.close({ signal })
    return await abortable(closed, signal)
  } catch (err: any) {
    stream.abort(err)
    throw err
  }
}

/** True when this kad-dht lets paip send to the closest known peers directly. */
export function canSendDirect (dht: unknown): boolean {
  return networkOf(dht) != null && typeof (dht as { routingTable?: { closestPeers?: unknown } }).routingTable?.closestPeers === 'function'
}

/** Sends to every peer at once and yields each outcome as it comes; ends when all did. */
async function * fanOut (peers: PeerId[], send: (peer: PeerId) => Promise<boolean>): AsyncGenerator<DirectAck> {
  const acks = channel<DirectAck>()
  let left = peers.length
  if (left === 0) return
  for (const peer of peers) {
    void send(peer).catch(() => false).then(ok => {
      acks.push({ peer, ok })
      if (--left === 0) acks.end()
    })
  }
  yield * acks
}

/**
 * Puts a DHT record (key and value as for kad-dht's `put`) on the k (or `peers`) peers of the
 * local routing table closest to its key, all at once; yields each peer's outcome as it answers.
 */
export async function * putDirect (dht: unknown, key: Uint8Array, value: Uint8Array, options: AbortOptions & { peers?: number } = {}): AsyncGenerator<DirectAck> {
  const network = networkOf(dht)
  if (network == null) return
  const peers = closestInTable(dht, await kadId(key), options.peers ?? bucketSize(dht))
  const record = new DhtRecord(key, value, new Date()).serialize()
  yield * fanOut(peers, async peer => {
    for await (const event of network.sendRequest(peer, { type: MessageType.PUT_VALUE, key, record, closer: [], providers: [] }, { signal: options.signal, path: PATH })) {
      if (event.name === 'PEER_RESPONSE') return event.record != null && sameBytes(event.record.value, value)
    }
    return false
  })
}

/**
 * Sends this node's provider record of a key (kad-dht's ADD_PROVIDER, which has no answer: a
 * peer counts once it closed the stream after the message, see above) to the k (or `peers`)
 * peers of the local routing table closest to it, all at once; yields each peer's outcome as it
 * comes.
 */
export async function * provideDirect (dht: unknown, self: PeerId, key: { multihash: { bytes: Uint8Array } }, addresses: Multiaddr[], options: AbortOptions & { peers?: number } = {}): AsyncGenerator<DirectAck> {
  const network = networkOf(dht)
  if (network == null || addresses.length === 0) return
  const target = key.multihash.bytes
  const peers = closestInTable(dht, await kadId(target), options.peers ?? bucketSize(dht))
  const providers = [{ id: self.toMultihash().bytes, multiaddrs: addresses.map(a => a.bytes) }]
  yield * fanOut(peers, async peer => await sendAndAwaitClose(network, peer, { type: MessageType.ADD_PROVIDER, key: target, providers, closer: [] }, options.signal))
}

/**
 * Resolves once `enough` distinct peers acknowledged across the sources (each an async
 * iteration of acknowledging peers), when every source ended, or when `signal` aborts; the
 * sources run on to their end either way. Returns the peers counted by then and the promise of every source's end.
 */
export async function firstAcks (sources: Array<AsyncIterable<string>>, enough: number, signal?: AbortSignal): Promise<{ peers: Set<string>, rest: Promise<void> }> {
  const peers = new Set<string>()
  let reached: (() => void) | undefined
  const enoughPeers = new Promise<void>(resolve => { reached = resolve })
  const rest = Promise.all(sources.map(async source => {
    for await (const peer of source) {
      peers.add(peer)
      if (peers.size >= enough) reached?.()
    }
  })).then(() => {})
  // an abort only ends the wait (the sources run on)
  await abortable(Promise.race([enoughPeers, rest.catch(() => {})]), signal).catch(() => {})
  return { peers: new Set(peers), rest }
}

/**
 * When the lookup-based store that follows a direct one starts. At once when the direct sends
 * ended short of `enough` acknowledgements (the caller waits for the lookup then); else
 * `delay` after the start: the lookups only add redundancy by then, and the publisher's first
 * duty is to answer the searches its publication draws right after it returned (on a loaded
 * machine, lookups running meanwhile made it miss their per-peer deadline).
 */
export interface LookupGate {
  /** Counts a direct source's acknowledgements; opens the gate when it ends short of enough. */
  track: (source: AsyncIterable<string>) => AsyncIterable<string>
  /** Opens the gate now (no direct source). */
  open: () => void
  /** Resolves once the gate is open or `delay` ms passed (or the signal aborted). */
  opened: (signal?: AbortSignal) => Promise<void>
}

export function lookupGate (enough: number, delay: number): LookupGate {
  let open: () => void = () => {}
  const short = new Promise<void>(resolve => { open = resolve })
  return {
    async * track (source) {
      let acks = 0
      try {
        for await (const peer of source) { acks++; yield peer }
      } finally {
        if (acks < enough) open()
      }
    },
    open: () => { open() },
    async opened (signal) { await Promise.race([short, pause(delay, signal)]) }
  }
}
