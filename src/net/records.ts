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
// Split by what it does: record/sign.ts (payload, signature, wire encoding, key),
// record/replay.ts (highest seq seen per key), record/namespace.ts (the DHT validator and
// selector of a namespace), record/dht.ts (put and get through kad-dht).
export * from './record/constants.js'
export * from './record/errors.js'
export { encodeRecord, recordKey, signRecord, verifyRecord } from './record/sign.js'
export type { RecordPayload, SignedRecord, SignInput, ValueDecoder } from './record/sign.js'
export * from './record/replay.js'
export * from './record/namespace.js'
export * from './record/dht.js'
export { normaliseKeywords } from './keywords.js'
