/**
 * Signed DHT records: small JSON values that must be found by name (the latest version of a
 * published protocol, an evaluation result), signed by the publishing node's libp2p key and
 * checked by every DHT node that stores or returns them.
 *
 * Wire form (the DHT record value, UTF-8 JSON, at most MAX_RECORD_BYTES):
 *   { "payload": "<JSON text of RecordPayload>", "signature": "<base64url ed25519 signature>" }
 * The signature covers `paip-record:` + the payload text exactly as sent, so no canonical JSON
 * is needed. The DHT key is `/<namespace>/<publisher peer id>/<base32 sha2-256 of name>`.
 */
import { createHash } from 'node:crypto'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { create as createDigest } from 'multiformats/hashes/digest'
import { PaipError } from '../errors.js'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import type { SelectFn, ValidateFn, KadDHT } from '@libp2p/kad-dht'

const second = 1000
const minute = 60 * second

/** Largest record value accepted (bytes). */
export const MAX_RECORD_BYTES = 64 * 1024
/** Longest record name (characters). */
export const MAX_RECORD_NAME = 512
/** A record dated further than this in the future is rejected (clock skew allowance). */
export const MAX_CLOCK_SKEW = 10 * minute
/** Default deadline of a DHT put or get of a record. */
export const RECORD_TIMEOUT = 15 * second
/** How many keys a namespace remembers the highest sequence number of (replay protection). */
export const HIGH_WATER_ENTRIES = 10_000

const SIGNATURE_PREFIX = 'paip-record:'
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,63}$/
const RAW_CODEC = 0x55
const SHA2_256 = 0x12

/** A record whose signature, key, shape or sequence number is not acceptable. */
export class InvalidRecordError extends PaipError {
  static name = 'InvalidRecordError'
  name = 'InvalidRecordError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A valid record older (lower seq) than one already held for the same key: a replay. */
export class StaleRecordError extends PaipError {
  static name = 'StaleRecordError'
  name = 'StaleRecordError'
  constructor (message: string) { super(message, 'conflict') }
}

/** No valid record was found for a key. */
export class RecordNotFoundError extends PaipError {
  static name = 'RecordNotFoundError'
  name = 'RecordNotFoundError'
  constructor (message: string) { super(message, 'not-found') }
}

/** Peers were asked to store a record and none accepted it. */
export class RecordNotStoredError extends PaipError {
  static name = 'RecordNotStoredError'
  name = 'RecordNotStoredError'
  constructor (message: string) { super(message, 'unavailable') }
}

/** What is signed. */
export interface RecordPayload<T = unknown> {
  namespace: string
  name: string
  /** The publisher's peer ID (its ed25519 public key is inside it). */
  publisher: string
  /** Sequence number: the highest wins; an older one is a replay. */
  seq: number
  /** Milliseconds since the epoch, when signed. */
  time: number
  value: T
}

export interface SignedRecord<T = unknown> extends RecordPayload<T> {
  /** The exact payload text that was signed. */
  payloadText: string
  signature: Uint8Array
}

export interface SignInput<T> {
  namespace: string
  name: string
  seq: number
  value: T
  time?: number
}

export type ValueDecoder<T> = (value: unknown) => T

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function checkNamespace (namespace: string): void {
  if (!NAMESPACE.test(namespace)) throw new InvalidRecordError(`bad record namespace "${namespace}"`)
}

function checkName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_RECORD_NAME) {
    throw new InvalidRecordError('record name must be a string of 1 to 512 characters')
  }
}

/** The DHT key of a record: `/<namespace>/<publisher>/<base32 sha2-256(name)>`. */
export function recordKey (namespace: string, publisher: string | PeerId, name: string): Uint8Array {
  checkNamespace(namespace)
  checkName(name)
  const hash = createHash('sha256').update(name, 'utf8').digest()
  return encoder.encode(`/${namespace}/${publisher.toString()}/${base32.encode(hash)}`)
}

/** Signs a record with the publisher's libp2p private key (ed25519). */
export async function signRecord<T> (privateKey: PrivateKey, input: SignInput<T>): Promise<SignedRecord<T>> {
  checkNamespace(input.namespace)
  checkName(input.name)
  if (!Number.isSafeInteger(input.seq) || input.seq < 0) throw new InvalidRecordError('seq must be a non-negative integer')
  const payload: RecordPayload<T> = {
    namespace: input.namespace,
    name: input.name,
    publisher: peerIdFromPrivateKey(privateKey).toString(),
    seq: input.seq,
    time: input.time ?? Date.now(),
    value: input.value
  }
  const payloadText = JSON.stringify(payload)
  const signature = await privateKey.sign(encoder.encode(SIGNATURE_PREFIX + payloadText))
  const record = { ...payload, payloadText, signature }
  if (encodeRecord(record).byteLength > MAX_RECORD_BYTES) throw new InvalidRecordError(`record over ${MAX_RECORD_BYTES} bytes`)
  return record
}

/** The DHT value bytes of a signed record. */
export function encodeRecord (record: SignedRecord<unknown>): Uint8Array {
  return encoder.encode(JSON.stringify({ payload: record.payloadText, signature: base64url(record.signature) }))
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

/**
 * Decodes and checks a record's bytes: shape, size, signature by the publisher it names,
 * time not in the future, value accepted by `decodeValue`; and, when `key` is given, that the
 * key names the same namespace, publisher and name. Throws InvalidRecordError.
 */
export async function verifyRecord<T> (bytes: Uint8Array, decodeValue: ValueDecoder<T>, key?: Uint8Array): Promise<SignedRecord<T>> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength > MAX_RECORD_BYTES) throw new InvalidRecordError('record missing or too large')
  let outer: any
  try { outer = JSON.parse(decoder.decode(bytes)) } catch { throw new InvalidRecordError('record is not JSON') }
  if (typeof outer?.payload !== 'string' || typeof outer?.signature !== 'string') throw new InvalidRecordError('record lacks payload or signature')
  let p: any
  try { p = JSON.parse(outer.payload) } catch { throw new InvalidRecordError('record payload is not JSON') }
  if (typeof p !== 'object' || p === null) throw new InvalidRecordError('record payload is not an object')
  if (typeof p.namespace !== 'string') throw new InvalidRecordError('record lacks a namespace')
  checkNamespace(p.namespace)
  checkName(p.name)
  if (!Number.isSafeInteger(p.seq) || p.seq < 0) throw new InvalidRecordError('record seq must be a non-negative integer')
  if (!Number.isSafeInteger(p.time) || p.time < 0) throw new InvalidRecordError('record time must be a non-negative integer')
  if (p.time > Date.now() + MAX_CLOCK_SKEW) throw new InvalidRecordError('record is dated in the future')
  let publisher: PeerId
  try { publisher = peerIdFromString(String(p.publisher)) } catch { throw new InvalidRecordError('record publisher is not a peer ID') }
  if (publisher.publicKey == null) throw new InvalidRecordError('record publisher peer ID does not embed its public key')
  const signature = new Uint8Array(Buffer.from(outer.signature, 'base64url'))
  let ok = false
  try { ok = await publisher.publicKey.verify(encoder.encode(SIGNATURE_PREFIX + outer.payload), signature) } catch { ok = false }
  if (!ok) throw new InvalidRecordError('record signature does not match its publisher')
  if (key != null) {
    const expected = recordKey(p.namespace, publisher, p.name)
    if (!sameBytes(expected, key)) throw new InvalidRecordError('record key does not match its namespace, publisher and name')
  }
  let value: T
  try { value = decodeValue(p.value) } catch (err: any) { throw new InvalidRecordError(`record value rejected: ${err?.message ?? err}`) }
  return { namespace: p.namespace, name: p.name, publisher: publisher.toString(), seq: p.seq, time: p.time, value, payloadText: outer.payload, signature }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Remembers the highest sequence number seen per key, so replayed older records are refused. */
export interface HighWaterStore {
  get(key: string): number | undefined | Promise<number | undefined>
  set(key: string, seq: number): void | Promise<void>
}

/** An in-memory high-water store holding at most `max` keys (oldest forgotten first). */
export function memoryHighWater (max = HIGH_WATER_ENTRIES): HighWaterStore {
  const seen = new Map<string, number>()
  return {
    get: key => seen.get(key),
    set (key, seq) {
      seen.delete(key)
      seen.set(key, seq)
      if (seen.size > max) seen.delete(seen.keys().next().value as string)
    }
  }
}

/** A key-value store for high-water marks (a level sublevel with JSON values fits). */
export interface HighWaterDb {
  get(key: string): Promise<any>
  put(key: string, value: any): Promise<void>
}

export interface AttachableHighWater extends HighWaterStore {
  /** Keeps marks in `db` too (the first db attached wins), so replays stay refused after a restart. */
  attach(db: HighWaterDb): void
}

/**
 * High-water marks in memory, and in a database once one is attached (the node attaches its own
 * when it builds its components; the DHT validator exists before that). Database errors (a
 * closed database) fall back to memory.
 */
export function persistentHighWater (max = HIGH_WATER_ENTRIES): AttachableHighWater {
  const memory = memoryHighWater(max)
  let db: HighWaterDb | undefined
  const dbKey = (key: string): string => Buffer.from(key, 'latin1').toString('hex')
  return {
    attach (store) { db ??= store },
    async get (key) {
      const held = await memory.get(key)
      if (held != null || db == null) return held
      try {
        const value = await db.get(dbKey(key))
        return Number.isSafeInteger(value) ? value : undefined
      } catch {
        return undefined
      }
    },
    async set (key, seq) {
      await memory.set(key, seq)
      await db?.put(dbKey(key), seq).catch(() => {})
    }
  }
}

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

/** What putRecord and getRecord need of a host. */
export interface RecordHost { peerId: PeerId, services: { dht: KadDHT } }

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
export async function putRecord<T> (host: RecordHost, ns: RecordNamespace<T>, record: SignedRecord<T>, options: AbortOptions = {}): Promise<PutResult> {
  const key = ns.key(record.publisher, record.name)
  const bytes = encodeRecord(record)
  await ns.check(key, bytes)
  const signal = deadline(options)
  const responded = new Set<string>()
  const refused = new Set<string>()
  let failed = 0
  const peers = (host.services.dht as any).routingTable?.size
  if (peers === 0) throw new RecordNotStoredError(`no DHT peers to store ${ns.namespace} record "${record.name}"`)
  try {
    for await (const event of host.services.dht.put(key, bytes, { signal })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') responded.add(event.from.toString())
      if (event.name === 'QUERY_ERROR') {
        failed++
        if (event.from != null) refused.add(event.from.toString())
      }
    }
  } catch (err) {
    // a deadline that passes after some peers stored it still counts as stored
    if (!signal.aborted || [...responded].every(p => refused.has(p))) {
      if (signal.aborted) throw new RecordNotStoredError(`no peer stored ${ns.namespace} record "${record.name}" in time`)
      throw err
    }
  }
  const stored = [...responded].filter(p => !refused.has(p)).length
  if (stored === 0 && failed > 0) throw new RecordNotStoredError(`no peer stored ${ns.namespace} record "${record.name}" (${failed} refused or failed)`)
  return { stored, failed }
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

/**
 * Keyword normalisation: Unicode NFKC, lower case, split on anything that is not a letter or a
 * digit, tokens of 2 to 64 characters, de-duplicated, in first-seen order. No stemming:
 * "models" and "model" are different keywords (publishers list both if they want both found).
 */
export function normaliseKeywords (...texts: Array<string | undefined | null>): string[] {
  const out = new Set<string>()
  for (const text of texts) {
    if (typeof text !== 'string') continue
    for (const token of text.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (token.length >= 2 && token.length <= 64) out.add(token)
    }
  }
  return [...out]
}

/** The CID under which nodes provide a keyword of a namespace (provider records). */
export function keywordCid (namespace: string, word: string): CID {
  checkNamespace(namespace)
  const [normal] = normaliseKeywords(word)
  if (normal == null) throw new InvalidRecordError(`"${word}" is not a keyword`)
  const digest = createHash('sha256').update(`paip-keyword:${namespace}:${normal}`, 'utf8').digest()
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, new Uint8Array(digest)))
}
