import { chmod, readFile, writeFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IdentityInvalidError } from './errors.js'
import { homePath } from './home.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface Identity {
  privateKey: PrivateKey
  peerId: PeerId
  /** Where it came from: `config` (identity.privateKey / PAIP_IDENTITY) or the key file. */
  source: string
}

/** A private key as text: base64 of its protobuf encoding (the format of kubo's `PrivKey`). */
export function encodePrivateKey (key: PrivateKey): string {
  return Buffer.from(privateKeyToProtobuf(key)).toString('base64')
}

export function decodePrivateKey (text: string, source: string): PrivateKey {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/=_-]+$/.test(trimmed)) throw new IdentityInvalidError(source, 'expected base64 text')
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(Buffer.from(trimmed, 'base64'))
  } catch (err: any) {
    throw new IdentityInvalidError(source, err.message ?? String(err))
  }
  if (key.type !== 'Ed25519') throw new IdentityInvalidError(source, `expected an Ed25519 key, got ${key.type}`)
  return key
}

/** A new ed25519 identity, as text for `identity.privateKey` / `PAIP_IDENTITY`. */
export async function generateIdentity (): Promise<{ privateKey: string, peerId: string }> {
  const key = await generateKeyPair('Ed25519')
  return { privateKey: encodePrivateKey(key), peerId: peerIdFromPrivateKey(key).toString() }
}

/**
 * The node's identity: the configured key when there is one (a fixed bootstrap identity),
 * else the home's `identity.key`, created (mode 0600) on first start.
 */
export async function loadIdentity (home: string, configured?: string): Promise<Identity> {
  if (configured != null && configured.trim() !== '') {
    const privateKey = decodePrivateKey(configured, 'identity.privateKey (config or PAIP_IDENTITY)')
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), source: 'config' }
  }
  const file = homePath(home, 'identity')
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  if (text != null) {
    const privateKey = decodePrivateKey(text, file)
    await chmod(file, 0o600).catch(() => {})
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), source: file }
  }
  const privateKey = await generateKeyPair('Ed25519')
  // wx: never overwrite a key another process wrote meanwhile
  await writeFile(file, encodePrivateKey(privateKey) + '\n', { mode: 0o600, flag: 'wx' })
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), source: file }
}
