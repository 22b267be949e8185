import { RECORD_TIMEOUT } from './constants.js'
import { RecordNotFoundError, RecordNotStoredError } from './errors.js'
import { encodeRecord, sameBytes, verifyRecord } from './sign.js'
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
  const events = host.services.dht.put(key, bytes, { signal })[Symbol.asyncIterator]()
  try {
    while (true) {
      const next = await events.next()
      if (next.done === true) break
      const event = next.value
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') responded.add(event.from.toString())
      if (event.name === 'QUERY_ERROR') {
        failed++
        if (event.from != null) refused.add(event.from.toString())
      }
      if (options.enough != null && stored() >= options.enough) {
        // enough peers hold it: the put goes on to the other closest peers in the background
        void (async () => { while (!(await events.next()).done) { /* the other peers */ } })().catch(() => {})
        break
      }
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
