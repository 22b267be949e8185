import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import * as C from './constants.js'

/** A stored password: only the scrypt hash, its salt and its parameters. */
export interface PasswordHash {
  algorithm: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
  hash: string
}

async function derive (password: string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => {
      if (err != null) reject(err)
      else resolve(key)
    })
  })
}

export async function hashPassword (password: string): Promise<PasswordHash> {
  const salt = randomBytes(C.SALT_BYTES)
  const key = await derive(password, salt, C.SCRYPT_N, C.SCRYPT_R, C.SCRYPT_P, C.SCRYPT_KEY_BYTES)
  return { algorithm: 'scrypt', N: C.SCRYPT_N, r: C.SCRYPT_R, p: C.SCRYPT_P, salt: salt.toString('base64'), hash: key.toString('base64') }
}

/** Constant-time check of a password against a stored hash. */
export async function checkPassword (password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64')
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored.N, stored.r, stored.p, expected.byteLength)
  return timingSafeEqual(key, expected)
}

/** A hash no password matches, checked for unknown users so timing does not reveal them. */
export const DUMMY_HASH: PasswordHash = {
  algorithm: 'scrypt', N: C.SCRYPT_N, r: C.SCRYPT_R, p: C.SCRYPT_P,
  salt: Buffer.alloc(C.SALT_BYTES).toString('base64'), hash: Buffer.alloc(C.SCRYPT_KEY_BYTES).toString('base64')
}
