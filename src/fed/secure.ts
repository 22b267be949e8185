import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { SECURE_SCALE } from './constants.js'
import { BadFedKeyError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Secure aggregation with pairwise masks (Bonawitz et al., without the double masking):
 * each worker of a round makes a fresh X25519 key pair and signs its public key with its
 * libp2p (ed25519) identity; the coordinator hands every worker the others' signed keys;
 * each pair (i, j) derives the same seed from their X25519 shared secret, and a mask vector
 * from the seed. Worker i adds the mask of every j it sorts before and subtracts the others',
 * in the ring of integers mod 2^64 (values in fixed point), so the masks cancel in the sum
 * and the coordinator learns only that sum. When j drops out, the survivors reveal their
 * seed with j (never their own keys), and the coordinator removes j's masks.
 */

const RING = 1n << 64n
const MASK = RING - 1n
const SCALE = BigInt(SECURE_SCALE)

export interface FedKeyPair {
  /** JWK of the X25519 private key (kept by the worker only). */
  privateJwk: { kty: string, crv: string, d: string, x: string }
  /** The public key, base64url (raw 32 bytes). */
  publicKey: string
}

/** A worker's public key for one round, signed with its node identity. */
export interface SignedFedKey {
  peer: string
  publicKey: string
  /** base64url of the ed25519 signature over `keyMessage(...)`. */
  signature: string
}

export function newKeyPair (): FedKeyPair {
  const { privateKey } = generateKeyPairSync('x25519')
  const jwk = privateKey.export({ format: 'jwk' }) as any
  return { privateJwk: { kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: jwk.x }, publicKey: jwk.x }
}

function keyMessage (run: string, round: string, peer: string, publicKey: string): Uint8Array {
  return new TextEncoder().encode(`paip-fed-key\n${run}\n${round}\n${peer}\n${publicKey}`)
}

export async function signKey (identity: PrivateKey, peer: string, run: string, round: string, pair: FedKeyPair): Promise<SignedFedKey> {
  const signature = await identity.sign(keyMessage(run, round, peer, pair.publicKey))
  return { peer, publicKey: pair.publicKey, signature: Buffer.from(signature).toString('base64url') }
}

/** Checks a worker's key was signed by that worker's identity for this run and round. */
export async function verifyKey (key: SignedFedKey, run: string, round: string): Promise<void> {
  let ok = false
  try {
    const publicKey = peerIdFromString(key.peer).publicKey
    if (publicKey == null || Buffer.from(key.publicKey, 'base64url').length !== 32) throw new Error('no key')
    ok = await publicKey.verify(keyMessage(run, round, key.peer, key.publicKey), Buffer.from(key.signature, 'base64url'))
  } catch {
    ok = false
  }
  if (!ok) throw new BadFedKeyError(`the round key of ${key.peer} is not signed by that node`, { peer: key.peer })
}

/** The seed worker `self` shares with `other` for this run and round. */
export function pairSeed (pair: FedKeyPair, self: string, other: SignedFedKey, run: string, round: string): Buffer {
  const privateKey = createPrivateKey({ key: pair.privateJwk as any, format: 'jwk' })
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: other.publicKey }, format: 'jwk' })
  const shared = diffieHellman({ privateKey, publicKey })
  const [a, b] = [self, other.peer].sort()
  return createHash('sha256').update(`paip-fed-mask\n${run}\n${round}\n${a}\n${b}\n`).update(shared).digest()
}

/** The mask vector of a seed: SHA-256 in counter mode, 8 bytes per element. */
export function maskOf (seed: Uint8Array, length: number): bigint[] {
  const out: bigint[] = []
  for (let block = 0; out.length < length; block++) {
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(block)
    const digest = createHash('sha256').update(seed).update(counter).digest()
    for (let i = 0; i < 4 && out.length < length; i++) out.push(digest.readBigUInt64BE(i * 8))
  }
  return out
}

/** Fixed point in the ring: round(v * 2^24) mod 2^64. */
export function encode (values: number[]): bigint[] {
  return values.map(v => BigInt(Math.round(v * SECURE_SCALE)) & MASK)
}

export function decode (values: bigint[]): number[] {
  return values.map(v => {
    const signed = v >= (RING >> 1n) ? v - RING : v
    return Number(signed) / Number(SCALE)
  })
}

/** +1 when `self` adds its mask with `other`, -1 when it subtracts it. */
export function maskSign (self: string, other: string): 1n | -1n {
  return self < other ? 1n : -1n
}

/** `values + sign * mask` in the ring. */
export function addMask (values: bigint[], mask: bigint[], sign: 1n | -1n): bigint[] {
  return values.map((v, i) => (v + sign * mask[i]) & MASK)
}

export function sum (vectors: bigint[][]): bigint[] {
  const out = vectors[0].map(() => 0n)
  for (const v of vectors) for (let i = 0; i < out.length; i++) out[i] = (out[i] + v[i]) & MASK
  return out
}

/**
 * Worker side: the masked vector of `[...samples * weights, samples]`, masked with every
 * other worker of the round.
 */
export function maskUpdate (weights: number[], samples: number, pair: FedKeyPair, self: string, others: SignedFedKey[], run: string, round: string): bigint[] {
  let values = encode([...weights.map(w => w * samples), samples])
  for (const other of others) {
    if (other.peer === self) continue
    values = addMask(values, maskOf(pairSeed(pair, self, other, run, round), values.length), maskSign(self, other.peer))
  }
  return values
}

/**
 * Coordinator side: removes the masks survivors added with the dropped workers (from the
 * seeds the survivors revealed) and decodes the weighted mean.
 */
export function unmaskSum (masked: bigint[][], revealed: Array<{ survivor: string, dropped: string, seed: Uint8Array }>): { weights: number[], samples: number } {
  let total = sum(masked)
  for (const r of revealed) {
    const sign = maskSign(r.survivor, r.dropped)
    total = addMask(total, maskOf(r.seed, total.length), sign === 1n ? -1n : 1n)
  }
  const decoded = decode(total)
  const samples = decoded[decoded.length - 1]
  if (!(samples > 0)) throw new BadFedKeyError('the unmasked sum has no samples: masks did not cancel')
  return { weights: decoded.slice(0, -1).map(v => v / samples), samples: Math.round(samples) }
}
