import { recordNamespace, normaliseKeywords } from '../net/records.js'
import { parseBlobCid } from '../storage/cid.js'
import { MAX_DESCRIPTION, MAX_KEYWORDS, PROTOCOL_NAMESPACE } from './constants.js'
import { checkFilePath, checkProtocolName, splitQualified } from './objects.js'
import type { HighWaterStore, RecordNamespace, SignedRecord } from '../net/records.js'

/** The value of a published protocol's signed record (the name and publisher are the record's). */
export interface ProtocolRecordValue {
  /** The marketplace user who pushed it, on the publishing node. */
  user: string
  file: string
  /** CID of the latest version object. */
  version: string
  /** How many versions its history holds. */
  versions: number
  keywords: string[]
  description: string
}

export type ProtocolRecord = SignedRecord<ProtocolRecordValue>

export function decodeProtocolRecordValue (v: unknown): ProtocolRecordValue {
  const x = v as any
  if (typeof x !== 'object' || x === null) throw new Error('value must be an object')
  if (typeof x.user !== 'string' || x.user.length > 64) throw new Error('user must be a short string')
  checkFilePath(x.file)
  parseBlobCid(String(x.version))
  if (!Number.isSafeInteger(x.versions) || x.versions < 1) throw new Error('versions must be a positive integer')
  if (!Array.isArray(x.keywords) || x.keywords.length > MAX_KEYWORDS || !x.keywords.every((k: unknown) => typeof k === 'string' && k.length <= 64)) {
    throw new Error('keywords must be at most 64 short strings')
  }
  if (typeof x.description !== 'string' || x.description.length > MAX_DESCRIPTION) throw new Error('description too long')
  return { user: x.user, file: x.file, version: x.version, versions: x.versions, keywords: x.keywords, description: x.description }
}

/**
 * A record's name says whose it is: `<user>/<name>` is that user's, a bare name the admin's.
 * A record whose value names another user is refused by every node, so no user of a node can
 * replace (or shadow) another user's protocol of the same name.
 */
export function checkRecordUser (record: { name: string, value: ProtocolRecordValue }): void {
  const { user } = splitQualified(record.name)
  if (record.value.user !== user) throw new Error(`the name ${record.name} is ${user}'s, the record names ${record.value.user}`)
}

/** The record namespace every node registers: `dhtRecordOptions(protocolRecords())`. */
export function protocolRecords (init: { highWater?: HighWaterStore } = {}): RecordNamespace<ProtocolRecordValue> {
  return recordNamespace(PROTOCOL_NAMESPACE, decodeProtocolRecordValue, { ...init, checkRecord: checkRecordUser })
}

/** Record names are checked protocol names. */
export { checkProtocolName }

/**
 * Keywords of a protocol: its name, description, tags, and its task roles' and prerequisites'
 * docker images and URIs, normalised by `normaliseKeywords` (lower case, no stemming). Network
 * addresses say nothing about the work: URL schemes and hosts, IP addresses and ports are left
 * out (a URL keeps its path), and so are tokens that are only digits (`10`, `151`).
 */
export function protocolKeywords (name: string, protocol: Record<string, any> | undefined, extra: string[] = []): string[] {
  const texts: string[] = [name, ...extra]
  if (protocol != null && typeof protocol === 'object') {
    if (typeof protocol.description === 'string') texts.push(protocol.description)
    const tags = protocol.tags ?? protocol.extras?.tags
    if (Array.isArray(tags)) texts.push(...tags.filter((t: unknown) => typeof t === 'string'))
    if (Array.isArray(protocol.prerequisites)) {
      for (const p of protocol.prerequisites) {
        if (typeof p?.uri === 'string') texts.push(p.uri)
        if (typeof p?.name === 'string') texts.push(p.name)
      }
    }
    if (protocol.taskRoles != null && typeof protocol.taskRoles === 'object') {
      for (const [role, spec] of Object.entries<any>(protocol.taskRoles)) {
        texts.push(role)
        if (typeof spec?.dockerImage === 'string') texts.push(spec.dockerImage)
      }
    }
  }
  return normaliseKeywords(...texts.map(withoutAddresses)).filter(k => !/^\p{N}+$/u.test(k)).slice(0, MAX_KEYWORDS)
}

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/giu
const IPV4_PATTERN = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/gu
const IPV6_PATTERN = /\[[0-9a-f:.]+\](?::\d+)?/giu
/** A registry or host before a path (`ghcr.io/`, `registry.example.com:5000/`, `localhost:5000/`). */
const HOST_PATTERN = /(?<![\p{L}\p{N}/.-])(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?(?=\/)/giu

/** The text with URLs reduced to their paths and hosts, IP addresses and ports removed. */
export function withoutAddresses (text: string): string {
  return text
    .replace(URL_PATTERN, url => {
      try { return ' ' + decodeURIComponent(new URL(url).pathname) + ' ' } catch { return ' ' }
    })
    .replace(IPV6_PATTERN, ' ')
    .replace(IPV4_PATTERN, ' ')
    .replace(HOST_PATTERN, ' ')
}
