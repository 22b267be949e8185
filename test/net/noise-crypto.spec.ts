import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../src/net/noise-crypto.js'

/** Noise's bytes type, as its crypto interface takes it. */
type Bytes = Parameters<typeof defaultCrypto.chaCha20Poly1305Encrypt>[0]

// plain Uint8Arrays (a Buffer and a Uint8Array of the same bytes are not deepEqual)
const bytesOf = (b: Bytes): Uint8Array => Uint8Array.from(b instanceof Uint8Array ? b : b.subarray())

describe('net: noise crypto', () => {
  const key = randomBytes(32)
  const nonce = new Uint8Array(12).fill(7)
  const ad = new Uint8Array([1, 2, 3])

  // below 1200 bytes noise's own WebAssembly cipher runs, above it node:crypto's
  for (const size of [0, 100, 1199, 1200, 64 * 1024 - 16]) {
    it(`seals and opens ${size} bytes exactly as noise's own crypto does (a peer on the stock library reads us)`, () => {
      const plaintext = randomBytes(size)
      const ours = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key))
      const theirs = bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key))
      assert.deepEqual(ours, theirs)
      assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, key)), Uint8Array.from(plaintext))
      assert.deepEqual(bytesOf(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, key)), Uint8Array.from(plaintext))
    })
  }

  it('takes messages in parts (a byte list) and gives the same bytes', () => {
    const plaintext = randomBytes(5000)
    const parts = new Uint8ArrayList(plaintext.subarray(0, 1), plaintext.subarray(1, 3000), plaintext.subarray(3000))
    const sealed = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(parts as unknown as Bytes, nonce, ad, key))
    assert.deepEqual(sealed, bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)))
    const sealedParts = new Uint8ArrayList(sealed.subarray(0, 10), sealed.subarray(10, 4990), sealed.subarray(4990))
    assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(sealedParts as unknown as Bytes, nonce, ad, key)), Uint8Array.from(plaintext))
  })

  it('refuses a message whose ciphertext, tag, associated data or nonce was changed', () => {
    const plaintext = randomBytes(4096)
    const sealed = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key))
    const flipped = (at: number): Uint8Array => { const copy = Uint8Array.from(sealed); copy[at] ^= 1; return copy }
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(flipped(10), nonce, ad, key))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(flipped(sealed.byteLength - 1), nonce, ad, key))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, new Uint8Array([1, 2, 4]), key))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, new Uint8Array(12), ad, key))
  })

  it('never seals with a stale key when the key array is changed in place', () => {
    const k = Uint8Array.from(key)
    const plaintext = randomBytes(2048)
    noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    k.set(randomBytes(32))
    const sealed = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
    assert.deepEqual(sealed, bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key))
  })
})
