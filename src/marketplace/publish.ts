/** Checking what is pushed and building the version chain a publication points to. */
import { basename } from 'node:path'
import { encodeVersion } from '../repo/index.js'
import { cidOfBytes } from '../storage/cid.js'
import { validateProtocol } from '../protocol/index.js'
import { PaipError } from '../errors.js'
import { MAX_DESCRIPTION, MAX_HISTORY, MAX_OBJECT_BYTES } from './constants.js'
import { BadObjectError, InvalidNameError, ProtocolInvalidError } from './errors.js'
import { ADMIN_PUBLISHER, checkFilePath, checkProtocolName, decodeVersionBlock, qualifiedName, splitQualified, verifyCid } from './objects.js'
import { NotOwnerError } from '../users/roles.js'
import { protocolKeywords } from './record.js'
import type { MarketStore } from './store.js'
import type { ProtocolRecordValue } from './record.js'
import type { Version } from './objects.js'

export interface Block { cid: string, bytes: Uint8Array }

/** A repository's history of one file (what `Repository.exportVersions` gives). */
export interface VersionBundle { head: string, records: Block[], contents: Block[] }

export interface PublishInput {
  /** The marketplace user publishing (recorded in the record; its protocols are named `<user>/<name>`). */
  user: string
  /** The node's admin may publish under a name of any of its users (`<user>/<name>`). */
  admin?: boolean
  /** A whole history from a repository: the head and its ancestors. */
  bundle?: VersionBundle
  /** Or one file: a new version on top of what this node published under the same name. */
  file?: string
  content?: Uint8Array
  message?: string
  /** Default: the protocol's `name` field, else the file name without its suffix. */
  name?: string
  /** Extra keywords (beyond name, description, tags and images). */
  keywords?: string[]
}

/** A push whose history does not contain what this node published last under the name. */
export class PushDivergedError extends PaipError {
  static name = 'PushDivergedError'
  name = 'PushDivergedError'
  constructor (name: string, published: string, pushed: string) {
    super(`"${name}" on this node is at ${published}, which the pushed history does not contain: pull it, then push again`, 'conflict', { name, published, pushed })
  }
}

export interface Prepared {
  name: string
  /** Object CIDs newly stored (versions and contents). */
  added: string[]
  head: Version
  value: ProtocolRecordValue
  changed: boolean
}

export type PreviousHead = (name: string) => string | undefined

function validated (file: string, bytes: Uint8Array): Record<string, any> | undefined {
  if (bytes.byteLength > MAX_OBJECT_BYTES) throw new InvalidNameError(`${file}: over ${MAX_OBJECT_BYTES} bytes`)
  const result = validateProtocol(bytes, { file })
  if (!result.ok) throw new ProtocolInvalidError(file, result.errors)
  return result.protocol
}

/**
 * The full name a push publishes under: `<user>/<name>` (the bare name for the admin). A name
 * given as `<user>/<name>` must be the pusher's own, unless the admin pushes it (for that user).
 */
function nameOf (input: PublishInput, file: string, protocol: Record<string, any> | undefined): string {
  const declared = typeof protocol?.name === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(protocol.name) ? protocol.name : undefined
  const given = input.name ?? declared ?? basename(file).replace(/\.(ya?ml)$/, '')
  if (typeof given === 'string' && given.includes('/')) {
    const { user, name } = splitQualified(given)
    if (user !== input.user && input.admin !== true) throw new NotOwnerError(`protocol ${given}`, user, input.user, 'publish')
    return qualifiedName(user, name)
  }
  return qualifiedName(input.user, checkProtocolName(given))
}

function valueOf (input: PublishInput, name: string, head: Version, protocol: Record<string, any> | undefined): ProtocolRecordValue {
  const description = typeof protocol?.description === 'string' ? protocol.description.slice(0, MAX_DESCRIPTION) : ''
  const { user, name: bare } = splitQualified(name)
  return { user, file: head.path, version: head.cid, versions: head.seq, keywords: protocolKeywords(bare, protocol, [...(user === ADMIN_PUBLISHER ? [] : [user]), ...(input.keywords ?? [])]), description }
}

export async function prepare (store: MarketStore, input: PublishInput, previousHead: PreviousHead): Promise<Prepared> {
  if (input.bundle != null) return await prepareBundle(store, input, input.bundle, previousHead)
  const file = checkFilePath(input.file)
  if (!(input.content instanceof Uint8Array)) throw new InvalidNameError('content missing')
  const protocol = validated(file, input.content)
  const name = nameOf(input, file, protocol)
  const previousCid = previousHead(name)
  const previous = previousCid == null ? undefined : await readVersion(store, previousCid)
  const contentCid = cidOfRaw(input.content)
  if (previous != null && previous.content === contentCid && previous.path === file) {
    return { name, added: [], head: previous, value: valueOf(input, name, previous, protocol), changed: false }
  }
  const { cid, bytes } = encodeVersion({
    path: file, content: contentCid, size: input.content.byteLength, parent: previous?.cid ?? null, seq: (previous?.seq ?? 0) + 1,
    author: input.user, time: new Date().toISOString(), message: String(input.message ?? '').slice(0, 10_000)
  })
  await store.putObject(contentCid, input.content)
  await store.putObject(cid, bytes)
  const head = decodeVersionBlock(cid, bytes)
  return { name, added: [contentCid, cid], head, value: valueOf(input, name, head, protocol), changed: true }
}

async function prepareBundle (store: MarketStore, input: PublishInput, bundle: VersionBundle, previousHead: PreviousHead): Promise<Prepared> {
  if (!Array.isArray(bundle.records) || !Array.isArray(bundle.contents) || bundle.records.length > MAX_HISTORY) throw new BadObjectError('bad version bundle')
  const versions = new Map<string, Version>()
  for (const block of bundle.records) {
    verifyCid(block.cid, block.bytes)
    versions.set(block.cid, decodeVersionBlock(block.cid, block.bytes))
  }
  const contents = new Map<string, Uint8Array>()
  for (const block of bundle.contents) {
    verifyCid(block.cid, block.bytes)
    contents.set(block.cid, block.bytes)
  }
  const head = versions.get(bundle.head)
  if (head == null) throw new BadObjectError(`the bundle lacks its head ${String(bundle.head).slice(0, 80)}`)
  let protocol: Record<string, any> | undefined
  for (const v of versions.values()) {
    const bytes = contents.get(v.content) ?? await store.getObject(v.content)
    if (bytes == null) throw new BadObjectError(`content ${v.content} of ${v.path} is missing`)
    const parsed = validated(v.path, bytes)
    if (v.cid === head.cid) protocol = parsed
  }
  const name = nameOf(input, head.path, protocol)
  // the chain from the head must be complete here or in the store, and contain what was published before
  const previous = previousHead(name)
  const chain: Version[] = []
  let found = previous == null
  let cursor: Version | undefined = head
  while (cursor != null && chain.length < MAX_HISTORY) {
    if (cursor.cid === previous) { found = true; break }
    chain.push(cursor)
    if (cursor.parent == null) break
    cursor = versions.get(cursor.parent) ?? await readVersion(store, cursor.parent).catch(() => undefined)
    if (cursor == null) throw new BadObjectError(`the history of ${head.path} is incomplete`)
  }
  if (!found) {
    // pushing something older than what is published: nothing new
    const published = await readVersion(store, previous as string)
    if (await isAncestor(store, head.cid, published, versions)) return { name, added: [], head: published, value: valueOf(input, name, published, protocol), changed: false }
    throw new PushDivergedError(name, previous as string, head.cid)
  }
  const added: string[] = []
  for (const v of chain.reverse()) {
    const bytes = contents.get(v.content)
    if (bytes != null) { await store.putObject(v.content, bytes); added.push(v.content) }
    const block = bundle.records.find(r => r.cid === v.cid) as Block
    await store.putObject(v.cid, block.bytes)
    added.push(v.cid)
  }
  return { name, added, head, value: valueOf(input, name, head, protocol), changed: added.length > 0 }
}

async function isAncestor (store: MarketStore, cid: string, from: Version, extra: Map<string, Version>): Promise<boolean> {
  let cursor: Version | undefined = from
  for (let i = 0; cursor != null && i < MAX_HISTORY; i++) {
    if (cursor.cid === cid) return true
    if (cursor.parent == null) return false
    cursor = extra.get(cursor.parent) ?? await readVersion(store, cursor.parent).catch(() => undefined)
  }
  return false
}

export async function readVersion (store: MarketStore, cid: string): Promise<Version> {
  const bytes = await store.getObject(cid)
  if (bytes == null) throw new BadObjectError(`version ${cid} is not held here`)
  return decodeVersionBlock(cid, bytes)
}

function cidOfRaw (bytes: Uint8Array): string {
  return cidOfBytes(bytes).toString()
}
