/**
 * What the marketplace stores and moves are the local repository's blocks: version records
 * (JSON, CID v1 json-codec sha2-256; see src/repo/records.ts) and file contents (CID v1 raw
 * sha2-256). So a pushed history keeps its CIDs, and a pull imports straight into a repository.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { decodeVersion, isRepoPath } from '../repo/index.js'
import { MAX_OBJECT_BYTES } from './constants.js'
import { BadObjectError, ContentMismatchError, InvalidNameError } from './errors.js'
import type { Version } from '../repo/index.js'

export type { Version }

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const SUFFIX = /\.(ya?ml)$/
const SHA2_256 = 0x12
const RAW = 0x55
const JSON_CODEC = 0x0200

const USER = /^[a-z0-9][a-z0-9._-]{0,62}$/
/** The user name the node's admin publishes as: its protocols keep their bare names. */
export const ADMIN_PUBLISHER = 'admin'

/**
 * A published protocol's full name on its node: `<user>/<name>`, or the bare `<name>` for
 * the node's admin. So two users of one node never share a name, and `<peer>/<name>` keeps
 * meaning what that node's admin published.
 */
export function qualifiedName (user: string, name: string): string {
  return user === ADMIN_PUBLISHER ? name : `${user}/${name}`
}

/** The user and bare name of a full protocol name (InvalidNameError when it is neither form). */
export function splitQualified (full: unknown): { user: string, name: string } {
  if (typeof full !== 'string') throw new InvalidNameError('a protocol name must be a string')
  const slash = full.indexOf('/')
  if (slash < 0) return { user: ADMIN_PUBLISHER, name: checkProtocolName(full) }
  const user = full.slice(0, slash)
  if (!USER.test(user) || user === ADMIN_PUBLISHER) throw new InvalidNameError(`bad user in protocol name ${JSON.stringify(full.slice(0, 80))}`)
  return { user, name: checkProtocolName(full.slice(slash + 1)) }
}

/** A protocol name: 1 to 128 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function checkProtocolName (name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.includes('..')) {
    throw new InvalidNameError(`bad protocol name ${JSON.stringify(String(name).slice(0, 80))}: use letters, digits, ".", "_" and "-"`)
  }
  return name
}

/**
 * A protocol file's repository path as stored, published and written on pull: relative, `/`
 * separated, no empty, `.` or `..` segment, no backslash, not in `.paip-repo`, ending in
 * .yaml or .yml.
 */
export function checkFilePath (path: unknown): string {
  if (!isRepoPath(path) || !SUFFIX.test(path) || path.length > 512) {
    throw new InvalidNameError(`bad file path ${JSON.stringify(String(path).slice(0, 80))}: a relative path inside the repository ending in .yaml or .yml`)
  }
  return path
}

/** Decodes a version block whose hash was checked. */
export function decodeVersionBlock (cid: string, bytes: Uint8Array): Version {
  const v = decodeVersion(cid, bytes)
  if (typeof v === 'string') throw new BadObjectError(`bad version ${cid.slice(0, 80)}: ${v}`)
  checkFilePath(v.path)
  return v
}

/** Throws ContentMismatchError unless `bytes` hash to `cid` (v1, sha2-256, raw or json codec). */
export function verifyCid (cid: string, bytes: Uint8Array): void {
  let parsed: CID
  try { parsed = CID.parse(cid) } catch { throw new ContentMismatchError(String(cid).slice(0, 100)) }
  if (parsed.version !== 1 || parsed.multihash.code !== SHA2_256 || (parsed.code !== RAW && parsed.code !== JSON_CODEC) ||
    bytes.byteLength > MAX_OBJECT_BYTES) throw new ContentMismatchError(cid)
  const digest = createHash('sha256').update(bytes).digest()
  const expected = parsed.multihash.digest
  if (expected.byteLength !== digest.byteLength || !expected.every((b, i) => b === digest[i])) throw new ContentMismatchError(cid)
}

export function isCid (text: string): boolean {
  try { CID.parse(text); return true } catch { return false }
}
