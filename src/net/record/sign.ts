import { createHash } from 'node:crypto'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { base32 } from 'multiformats/bases/base32'
import { MAX_CLOCK_SKEW, MAX_RECORD_BYTES, MAX_RECORD_NAME } from './constants.js'
import { InvalidRecordError } from './errors.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/**
 * Signing, encoding and verifying one record (see records.ts for the wire form). The
 * signature covers `paip-record:` + the payload text exactly as sent.
 */

const SIGNATURE_PREFIX = 'paip-record:'
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,63}$/

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

export function checkNamespace (namespace: string): void {
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

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
