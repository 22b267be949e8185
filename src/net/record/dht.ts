import { BACKGROUND_PUT_TIMEOUT, RECORD_TIMEOUT } from './constants.js'
import { RecordNotFoundError, RecordNotStoredError } from './errors.js'
import { encodeRecord, sameBytes, verifyRecord } from './sign.js'
import { canSendDirect, firstAcks, lookupGate, putDirect } from '../direct.js'
import { BACKGROUND_LOOKUP_DELAY, DIRECT_PROVIDE_PEERS } from '../constants.js'
import type { RecordNamespace } from './namespace.js'
import type { SignedRecord } from './sign.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** What putRecord and getRecord need of a host. */
export interface RecordHost { peerId: PeerId, services: { dht: KadDHT } }

export interface PutOptions extends AbortOptions {
  /**
   * Return once this many peers stored the record; the put goes on in the background for the
   * other closest peers (until the signal aborts). Default: when the put ended.
   */
  enough?: number
  /**
   * With `enough`: the signal of the put's part that runs on after it returned (kad-dht's
   * lookup-based put to the closest peers of the whole grid). Default: the put's own signal,
   * which may end with the caller's request, before a slow lookup reached anyone.
   */
  background?: AbortSignal
}

export interface PutResult {
  /** Peers that confirmed they stored the record. */
  stored: number
  /** Peers that refused it or failed. */
  failed: number
}

function deadline (options: AbortOptions): AbortSignal {
  const timeout = AbortSignal.timeout(RECORD_TIMEOUT)
  return options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
}

/**
 * Checks the record locally (as every DHT node will), then puts it in the DHT. kad-dht does not
 * throw when remote peers refuse a record, so the answers are counted: RecordNotStoredError
 * when peers were asked and none stored it, or when there are no DHT peers at all.
 *
 * With `enough`, the record is also sent at once to the closest peers of the local routing
 * table (src/net/direct.ts) and the put returns once `enough` peers stored it, by either way;
 * kad-dht's lookup-based put goes on in the background to the closest peers of the whole grid
 * whatever those peers answered (an answer only says that one peer took it).
 */
export async function putRecord<T> (host: RecordHost, ns: RecordNamespace<T>, record: SignedRecord<T>, options: PutOptions = {}): Promise<PutResult> {
  const key = ns.key(record.publisher, record.name)
  const bytes = encodeRecord(record)
  await ns.check(key, bytes)
  const signal = deadline(options)
  const responded = new Set<string>()
  const refused = new Set<string>()
  let failed = 0
  const peers = (host.services.dht as any).routingTable?.size
  if (peers === 0) throw new RecordNotStoredError(`no DHT peers to store ${ns.namespace} record "${record.name}"`)
  const stored = (): number => [...responded].filter(p => !refused.has(p)).length
  /** kad-dht's put: the peers that stored the record (answered with it as sent), as they answer. */
  const lookup = async function * (within: AbortSignal): AsyncGenerator<string> {
    for await (const event of host.services.dht.put(key, bytes, { signal: within })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE' && event.record != null && sameBytes(event.record.value, bytes)) {
        responded.add(event.from.toString())
        yield event.from.toString()
      }
      if (event.name === 'QUERY_ERROR') {
        failed++
        if (event.from != null) refused.add(event.from.toString())
      }
    }
  }
  const direct = async function * (): AsyncGenerator<string> {
    for await (const ack of putDirect(host.services.dht, key, bytes, { signal, peers: DIRECT_PROVIDE_PEERS })) {
      if (!ack.ok) { failed++; continue }
      responded.add(ack.peer.toString())
      yield ack.peer.toString()
    }
  }
  try {
    if (options.enough == null) {
      for await (const _ of lookup(signal)) { /* counted as they answer */ }
    } else {
      // the lookup outlives the caller: acknowledgements of the closest peers known (perhaps
      // hostile, perhaps not the grid's closest) are no reason to stop it
      const within = options.background == null ? signal : AbortSignal.any([options.background, AbortSignal.timeout(BACKGROUND_PUT_TIMEOUT)])
      // a few seconds later unless the direct sends fell short (see lookupGate)
      const gate = lookupGate(options.enough, BACKGROUND_LOOKUP_DELAY)
      const later = async function * (): AsyncGenerator<string> { await gate.opened(within); yield * lookup(within) }
      const directs = canSendDirect(host.services.dht) ? [gate.track(direct())] : []
      if (directs.length === 0) gate.open()
      const sources = [later(), ...directs]
      const first = await firstAcks(sources, options.enough, signal)
      // enough peers hold it: the put goes on to the other closest peers in the background
      first.rest.catch(() => {})
      if (first.peers.size > 0) return { stored: first.peers.size, failed }
      if (!signal.aborted) await first.rest
      signal.throwIfAborted()
    }
  } catch (err) {
    // a deadline that passes after some peers stored it still counts as stored
    if (!signal.aborted || [...responded].every(p => refused.has(p))) {
      if (signal.aborted) throw new RecordNotStoredError(`no peer stored ${ns.namespace} record "${record.name}" in time`)
      throw err
    }
  }
  if (stored() === 0 && failed > 0) throw new RecordNotStoredError(`no peer stored ${ns.namespace} record "${record.name}" (${failed} refused or failed)`)
  return { stored: stored(), failed }
}

/**
 * Finds the best (highest seq) valid record under a publisher and name. Every candidate the
 * DHT returns is checked again here; RecordNotFoundError when none is valid.
 */
export async function getRecord<T> (host: RecordHost, ns: RecordNamespace<T>, publisher: string | PeerId, name: string, options: AbortOptions = {}): Promise<SignedRecord<T>> {
  const key = ns.key(publisher, name)
  const signal = deadline(options)
  const candidates: Uint8Array[] = []
  try {
    for await (const event of host.services.dht.get(key, { signal })) {
      if (event.name === 'VALUE') candidates.push(event.value)
      else if (event.name === 'PEER_RESPONSE' && event.record != null && sameBytes(event.record.key, key)) candidates.push(event.record.value)
    }
  } catch (err) {
    // a failed correction or an aborted query still leaves what was found
    if (candidates.length === 0 && options.signal?.aborted === true) throw err
  }
  let best: SignedRecord<T> | undefined
  for (const bytes of candidates) {
    try {
      const r = ns.verify != null ? await ns.verify(key, bytes) : await verifyRecord(bytes, ns.decodeValue, key)
      if (best == null || r.seq > best.seq || (r.seq === best.seq && r.time > best.time)) best = r
    } catch {}
  }
  if (best == null) throw new RecordNotFoundError(`no ${ns.namespace} record "${name}" from ${publisher.toString()}`)
  return best
}
