/**
 * Noise's crypto for bulk data: @chainsafe/libp2p-noise's own Node backend (node:crypto's
 * ChaCha20-Poly1305 for messages of 1200 bytes and more, WebAssembly below, X25519 and SHA-256
 * from node:crypto), with two costs of its per-message cipher removed. The same algorithms and
 * bytes on the wire: only how this node calls node:crypto changes.
 * - Its key: node:crypto turns a raw key into a secret key object for every cipher it creates
 *   (and first tries it as a key object, which throws and catches an error inside node). A
 *   connection's two keys never change, so each is made a key object once.
 * - Its output: a sealed message is handed on as its parts (ciphertext, tag) instead of being
 *   copied into one buffer.
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import type { KeyObject } from 'node:crypto'

/** Noise's bytes type (its own uint8arraylist version: the same class at run time, found by a shared symbol). */
type Bytes = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0]

const CIPHER = 'chacha20-poly1305'
const TAG_BYTES = 16
/** Below this, noise's WebAssembly ChaCha20-Poly1305 is faster than node:crypto's (noise's own threshold). */
const NATIVE_FROM_BYTES = 1200

/** The key object of each raw key seen, with a copy of its bytes: a key array changed in place is never served a stale key. */
const keyObjects = new WeakMap<Uint8Array, { bytes: Uint8Array, key: KeyObject }>()

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

function keyObject (k: Uint8Array): KeyObject {
  const cached = keyObjects.get(k)
  if (cached != null && sameBytes(cached.bytes, k)) return cached.key
  const key = createSecretKey(k)
  keyObjects.set(k, { bytes: Uint8Array.from(k), key })
  return key
}

function chaCha20Poly1305Encrypt (plaintext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Bytes {
  if (plaintext.byteLength < NATIVE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
  const cipher = createCipheriv(CIPHER, keyObject(k), nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
  const output = new Uint8ArrayList()
  if (plaintext instanceof Uint8Array) output.append(cipher.update(plaintext))
  else for (const part of plaintext) output.append(cipher.update(part))
  const final = cipher.final()
  if (final.byteLength > 0) output.append(final)
  output.append(cipher.getAuthTag())
  return output as unknown as Bytes
}

function chaCha20Poly1305Decrypt (ciphertext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array, dst?: Uint8Array): Bytes {
  if (ciphertext.byteLength < NATIVE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
  const length = ciphertext.byteLength - TAG_BYTES
  const decipher = createDecipheriv(CIPHER, keyObject(k), nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(ad, { plaintextLength: length })
  decipher.setAuthTag(ciphertext.subarray(length))
  if (ciphertext instanceof Uint8Array) {
    const output = decipher.update(ciphertext.subarray(0, length))
    // final() checks the tag: it throws on a forged or corrupted message
    const final = decipher.final()
    return final.byteLength > 0 ? new Uint8ArrayList(output, final) as unknown as Bytes : output
  }
  const output = new Uint8ArrayList()
  for (const part of ciphertext.sublist(0, length)) output.append(decipher.update(part))
  const final = decipher.final()
  if (final.byteLength > 0) output.append(final)
  return output as unknown as Bytes
}

/** Noise's default Node crypto, with the bulk cipher calls above. */
export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt,
  chaCha20Poly1305Decrypt
}
