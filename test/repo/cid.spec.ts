import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { JSON_CODEC, RAW_CODEC, SHA2_256 } from '../../src/repo/constants.js'
import { cidOf, digestOf } from '../../src/repo/cid.js'

/** The base32 encoder the repository used before `multiformats`' own: what its stored CIDs were written with. */
function previousEncode (bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = 'b'
  let bits = 0
  let buffer = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31]
  return out
}

/** A CID as the previous encoder wrote it: the same header and digest, base32 by hand. */
function previousCid (bytes: Uint8Array, codec: number): string {
  const cid = CID.createV1(codec, createDigest(SHA2_256, new Uint8Array(createHash('sha256').update(bytes).digest())))
  return previousEncode(cid.bytes)
}

describe('repo: content IDs', () => {
  const samples = [new Uint8Array(0), new TextEncoder().encode('protocolVersion: 2\nname: mnist\n'), ...Array.from({ length: 200 }, (_, i) => new Uint8Array(randomBytes(i * 7)))]

  it('writes every CID exactly as the previous encoder and multiformats do, for raw and json codecs', () => {
    for (const codec of [RAW_CODEC, JSON_CODEC]) {
      for (const bytes of samples) {
        const digest = new Uint8Array(createHash('sha256').update(bytes).digest())
        const expected = CID.createV1(codec, createDigest(SHA2_256, digest)).toString()
        assert.equal(cidOf(bytes, codec), expected)
        assert.equal(previousCid(bytes, codec), expected)
      }
    }
    // fixed points: the empty content, as stored in every existing repository that has one
    assert.equal(cidOf(new Uint8Array(0)), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
  })

  it('reads back the digest of every CID the previous encoder wrote', () => {
    for (const codec of [RAW_CODEC, JSON_CODEC]) {
      for (const bytes of samples) {
        const digest = new Uint8Array(createHash('sha256').update(bytes).digest())
        assert.deepEqual(digestOf(previousCid(bytes, codec), codec), digest)
      }
    }
  })

  it('refuses other spellings and other kinds of CIDs', () => {
    const cid = cidOf(new TextEncoder().encode('x'))
    assert.equal(digestOf(cid, JSON_CODEC), undefined, 'a raw CID is not a json one')
    assert.equal(digestOf(cid.toUpperCase(), RAW_CODEC), undefined, 'upper case')
    assert.equal(digestOf('B' + cid.slice(1), RAW_CODEC), undefined, 'another multibase prefix')
    assert.equal(digestOf(cid + '====', RAW_CODEC), undefined, 'padding')
    assert.equal(digestOf(cid.slice(0, -1) + 'z', RAW_CODEC), undefined, 'non-zero unused bits')
    assert.equal(digestOf(cid.slice(0, -2), RAW_CODEC), undefined, 'too short')
    assert.equal(digestOf(cid + 'a', RAW_CODEC), undefined, 'too long')
    assert.equal(digestOf(cid.replace(/.$/, '1'), RAW_CODEC), undefined, 'a character outside the alphabet')
    assert.equal(digestOf(42, RAW_CODEC), undefined)
  })
})
