import { InvalidRecordError, StaleRecordError } from './errors.js'
import { memoryHighWater } from './replay.js'
import { checkNamespace, recordKey, verifyRecord } from './sign.js'
import type { HighWaterStore } from './replay.js'
import type { SignedRecord, ValueDecoder } from './sign.js'
import type { PeerId } from '@libp2p/interface'
import type { SelectFn, ValidateFn } from '@libp2p/kad-dht'

export interface RecordNamespace<T> {
  readonly namespace: string
  /** For kad-dht `validators[namespace]`. */
  readonly validate: (key: Uint8Array, value: Uint8Array) => Promise<void>
  /** For kad-dht `selectors[namespace]`: the highest seq wins (then the latest time). */
  readonly select: SelectFn
  readonly decodeValue: ValueDecoder<T>
  key(publisher: string | PeerId, name: string): Uint8Array
  /** Full check of bytes found under `key`, including replay protection. */
  check(key: Uint8Array, bytes: Uint8Array): Promise<SignedRecord<T>>
  /** The check without replay protection (signature, key, value, the namespace's own checks). */
  verify?(key: Uint8Array, bytes: Uint8Array): Promise<SignedRecord<T>>
}

export interface RecordNamespaceInit<T = unknown> {
  /** Where the highest seq seen per key is kept; default in memory. */
  highWater?: HighWaterStore
  /** A further check of a verified record (its name against its value); throws to refuse it. */
  checkRecord?: (record: SignedRecord<T>) => void
}

/**
 * A record namespace: the validator and selector every DHT node registers for it. A record is
 * rejected when it is not signed by the publisher its key names, when its key does not match
 * its namespace/publisher/name, when its value fails `decodeValue`, or when a higher seq has
 * been seen for the same key on this node (a replay).
 */
export function recordNamespace<T> (namespace: string, decodeValue: ValueDecoder<T>, init: RecordNamespaceInit<T> = {}): RecordNamespace<T> {
  checkNamespace(namespace)
  const highWater = init.highWater ?? memoryHighWater()
  const keyText = (key: Uint8Array): string => Buffer.from(key).toString('latin1')

  async function verify (bytes: Uint8Array, key: Uint8Array): Promise<SignedRecord<T>> {
    const record = await verifyRecord(bytes, decodeValue, key)
    if (init.checkRecord != null) {
      try { init.checkRecord(record) } catch (err: any) { throw new InvalidRecordError(`record refused: ${err?.message ?? err}`) }
    }
    return record
  }

  async function check (key: Uint8Array, bytes: Uint8Array): Promise<SignedRecord<T>> {
    const record = await verify(bytes, key)
    if (record.namespace !== namespace) throw new InvalidRecordError(`record is not in namespace ${namespace}`)
    const k = keyText(key)
    const held = await highWater.get(k)
    if (held != null && record.seq < held) throw new StaleRecordError(`record seq ${record.seq} is older than ${held} already seen`)
    if (held == null || record.seq > held) await highWater.set(k, record.seq)
    return record
  }

  const select: SelectFn = async (key, records) => {
    let best = 0
    let bestRank: [number, number] = [-1, -1]
    for (let i = 0; i < records.length; i++) {
      let rank: [number, number] = [-1, -1]
      try {
        const r = await verify(records[i], key)
        rank = [r.seq, r.time]
      } catch {}
      if (rank[0] > bestRank[0] || (rank[0] === bestRank[0] && rank[1] > bestRank[1])) { best = i; bestRank = rank }
    }
    return best
  }

  return {
    namespace,
    decodeValue,
    key: (publisher, name) => recordKey(namespace, publisher, name),
    check,
    verify: async (key, bytes) => await verify(bytes, key),
    validate: async (key, value) => { await check(key, value) },
    select
  }
}

/** Merges namespaces into the `validators`/`selectors` maps createHost takes. */
export function dhtRecordOptions (...namespaces: Array<RecordNamespace<any>>): { validators: Record<string, ValidateFn>, selectors: Record<string, SelectFn> } {
  const validators: Record<string, ValidateFn> = {}
  const selectors: Record<string, SelectFn> = {}
  for (const ns of namespaces) {
    validators[ns.namespace] = ns.validate
    selectors[ns.namespace] = ns.select
  }
  return { validators, selectors }
}
