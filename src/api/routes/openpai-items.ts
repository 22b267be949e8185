/**
 * The OpenPAI marketplace's items, behind the routes of openpai.ts: what is kept per item, who
 * may read and change one, and the store that joins this node's published protocols with the
 * non-public items kept here only.
 */
import { createHash, randomUUID } from 'node:crypto'
import { InvalidArgumentError, NotFoundError, PaipError } from '../../errors.js'
import { checkProtocolName, qualifiedName, splitQualified } from '../../marketplace/index.js'
import { sublevel } from '../../storage/level.js'
import { validateProtocol } from '../../protocol/index.js'
import { isAdmin, requireOwner } from '../../users/roles.js'
import { ForbiddenError } from '../errors.js'
import type { Entry } from '../../marketplace/index.js'
import type { Database, Sublevel } from '../../storage/level.js'
import type { PeerId } from '@libp2p/interface'
import type { RouteMarketplace } from './repo.js'
import type { Principal } from '../auth.js'

/** The protocol of an item does not parse or validate (the original answers 400). */
export class ItemProtocolInvalidError extends PaipError {
  static name = 'ItemProtocolInvalidError'
  name = 'ItemProtocolInvalidError'
  constructor (problems: unknown[]) { super('The protocol is not valid', 'invalid-input', { problems }) }
}

/** A public item was published on the grid: its signed versions cannot be recalled, so it cannot be made non-public. */
export class ItemPublishedError extends PaipError {
  static name = 'ItemPublishedError'
  name = 'ItemPublishedError'
  constructor (id: string) { super(`item ${id} is published on the grid, whose signed versions cannot be recalled: it stays public (create a new item that is private or shared with groups)`, 'conflict', { id }) }
}

/** Another user publishes a protocol of that name on this node. */
export class ProtocolNameTakenError extends PaipError {
  static name = 'ProtocolNameTakenError'
  name = 'ProtocolNameTakenError'
  constructor (name: string, owner: string) { super(`a protocol named ${name} is published on this node by ${owner}`, 'conflict', { name, owner }) }
}

export const STATUSES = ['pending', 'approved', 'rejected'] as const
/** The category only the admin may put items in, or change items of. */
export const OFFICIAL = 'official-example'

/** What is kept per item besides its protocol record. */
export interface ItemMeta {
  id: string
  deleted?: boolean
  /** A non-public item's protocol (YAML), kept on this node only: such an item is never published. */
  localProtocol?: string
  name: string
  author: string
  type: string
  source: 'marketplace' | 'pai'
  isPublic: boolean
  isPrivate: boolean
  groupList: string[]
  dataType: string
  dataUrl: string
  useBlob: boolean
  categories: string[]
  tags: string[]
  summary: string
  description: string
  useNumber: number
  status: typeof STATUSES[number]
  stars: string[]
  createdAt: string
  updatedAt: string
}

/** An item as kept: its fields and the name of its protocol. */
export type KeptItem = ItemMeta & { protocolName: string }

/** An item's ID: a UUID derived from its protocol's publisher and name (stable across restarts). */
export function itemId (publisher: string, name: string): string {
  const h = createHash('sha256').update(`${publisher}/${name}`).digest()
  h[6] = (h[6] & 0x0f) | 0x50
  h[8] = (h[8] & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

/** A protocol name from a YAML name ("Couplet Training" → "couplet-training"). */
function protocolNameOf (name: string): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 64)
  return checkProtocolName(slug === '' ? `item-${randomUUID().slice(0, 8)}` : slug)
}

/** What the OpenPAI item routes use: the marketplace, the node's database (their own sublevel) and its peer ID. */
export interface OpenpaiRouteComponents {
  marketplace: RouteMarketplace
  db: Database
  peerId: PeerId
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

/**
 * The original's read rule: public; or the reader may write it (its author, the admin); or,
 * not private, the reader belongs to one of its groups.
 */
export const mayRead = (who: Principal | undefined, meta: ItemMeta): boolean =>
  meta.isPublic || (who != null && (isAdmin(who as any) || who.name === meta.author ||
    (!meta.isPrivate && meta.groupList.some(group => who.groups?.includes(group) === true))))

/** Reading refused as the original refuses it (403); the item's existence is no secret from its ID alone. */
export function mustRead (who: Principal | undefined, meta: ItemMeta): void {
  if (!mayRead(who, meta)) throw new ForbiddenError(`The access to the item ${meta.id} is forbidden`)
}

export function mayWrite (who: Principal, meta: ItemMeta, action: string): void {
  requireOwner(who as any, meta.author, `item ${meta.id}`, action)
  if (meta.categories.includes(OFFICIAL) && !isAdmin(who as any)) throw new ForbiddenError(`items in the ${OFFICIAL} category are changed by the admin only`)
}

export interface ItemStore {
  db: Sublevel<KeptItem>
  /** The protocols this node publishes itself. */
  own: () => Entry[]
  /** The non-public items, kept on this node only (never published). */
  localItems: () => Promise<KeptItem[]>
  /** Every item: the published protocols, then the local ones. */
  allItems: () => AsyncGenerator<{ entry?: Entry, meta: KeptItem }>
  metaOf: (entry: Entry) => Promise<KeptItem>
  /** An item as the API shows it (its protocol included). */
  itemJson: (entry: Entry | undefined, meta: KeptItem) => Promise<Record<string, unknown>>
  find: (id: string) => Promise<{ entry?: Entry, meta: KeptItem }>
}

/** The items: this node's published protocols (with what is kept of them) and its non-public items. */
export function createItemStore (components: OpenpaiRouteComponents): ItemStore {
  const db = sublevel<KeptItem>(components.db, 'openpai-items')
  const self = (): string => components.peerId.toString()

  function own (): Entry[] { return components.marketplace.entries().filter(e => e.own && e.record.publisher === self()) }

  /** The non-public items, kept on this node only (never published). */
  async function localItems (): Promise<Array<KeptItem>> {
    const out: Array<KeptItem> = []
    for await (const meta of db.values()) if (meta.localProtocol != null && meta.deleted !== true) out.push(meta)
    return out
  }

  /** Every item: the published protocols, then the local ones. */
  async function * allItems (): AsyncGenerator<{ entry?: Entry, meta: KeptItem }> {
    const published = new Set<string>()
    for (const entry of own()) {
      const meta = await metaOf(entry)
      published.add(meta.id)
      if (meta.deleted !== true) yield { entry, meta }
    }
    for (const meta of await localItems()) if (!published.has(meta.id)) yield { meta }
  }

  async function metaOf (entry: Entry): Promise<KeptItem> {
    const id = itemId(entry.record.publisher, entry.record.name)
    const kept = await db.get(id)
    if (kept != null) return kept
    const time = new Date(entry.record.time).toISOString()
    return {
      id, name: entry.record.name, protocolName: entry.record.name, author: entry.record.value.user, type: 'template', source: 'marketplace',
      isPublic: true, isPrivate: false, groupList: [], dataType: '', dataUrl: '', useBlob: false, categories: [], tags: [],
      summary: entry.record.value.description.split('\n')[0] ?? '', description: entry.record.value.description, useNumber: 0,
      status: 'approved', stars: [], createdAt: time, updatedAt: time
    }
  }

  async function itemJson (entry: Entry | undefined, meta: KeptItem): Promise<Record<string, unknown>> {
    const { stars, deleted, localProtocol, ...rest } = meta
    void deleted
    if (entry == null) return { ...rest, protocol: localProtocol, starNumber: stars.length, publisher: self(), published: false }
    const { content } = await components.marketplace.readFile(entry.record.value.file, entry.record.publisher, entry.record.value.user)
    return { ...rest, protocol: new TextDecoder().decode(content), starNumber: stars.length, publisher: entry.record.publisher, protocolName: entry.record.name, version: entry.record.value.version, published: true }
  }

  async function find (id: string): Promise<{ entry?: Entry, meta: KeptItem }> {
    for (const entry of own()) {
      if (itemId(entry.record.publisher, entry.record.name) !== id) continue
      const meta = await metaOf(entry)
      if (meta.deleted === true) break
      return { entry, meta }
    }
    const kept = await db.get(id)
    if (kept?.localProtocol != null && kept.deleted !== true) return { meta: kept }
    throw new NotFoundError(`no item ${id}`)
  }

  return { db, own, localItems, allItems, metaOf, itemJson, find }
}

/**
 * The qualified name an item's protocol gets from its YAML, once the protocol validates: a
 * user's protocols are `<user>/<name>` on this node (the admin's bare); an update (`expect`,
 * the name it had) keeps the item's owner and must keep the name.
 */
function protocolNameFor (protocol: string, who: Principal, expect?: string): string {
  const checked = validateProtocol(protocol)
  if (!checked.ok) throw new ItemProtocolInvalidError(checked.errors)
  const owner = expect != null ? splitQualified(expect).user : who.name
  const name = qualifiedName(owner, protocolNameOf(String(checked.protocol?.name ?? '')))
  if (expect != null && name !== expect) throw new InvalidArgumentError(`the item's protocol is named ${expect}; this one is named ${name}`)
  return name
}

export interface ItemPublisher {
  /** A non-public item's protocol checked and named as a published one would be, kept here only: its name. */
  keepLocal: (protocol: string, who: Principal, expect?: string) => Promise<string>
  /** Publishes an item's protocol under the name its YAML gives (as `paip push` does), refusing another user's name. */
  publish: (protocol: string, who: Principal, expect?: string) => Promise<Entry>
}

/** Names and publishes items' protocols, keeping each name to the user who holds it. */
export function createItemPublisher (store: ItemStore, components: OpenpaiRouteComponents): ItemPublisher {
  const { own, localItems, metaOf } = store
  const self = (): string => components.peerId.toString()

  /** A protocol name an item of another user holds (published or local) is not this user's to take. */
  async function checkNameFree (name: string, who: Principal, held: Entry | undefined, except?: string): Promise<void> {
    const holders = [...(held == null ? [] : [await metaOf(held)]), ...(await localItems()).filter(m => m.protocolName === name && m.id !== except)]
    for (const meta of holders) {
      if (meta.deleted !== true && meta.author !== who.name && !isAdmin(who as any)) throw new ProtocolNameTakenError(name, meta.author)
    }
  }

  /** A non-public item's protocol checked and named as a published one would be, kept here only. */
  async function keepLocal (protocol: string, who: Principal, expect?: string): Promise<string> {
    const name = protocolNameFor(protocol, who, expect)
    const held = own().find(e => e.record.name === name)
    if (held != null && (await metaOf(held)).deleted !== true) throw new ProtocolNameTakenError(name, (await metaOf(held)).author)
    await checkNameFree(name, who, undefined, expect == null ? undefined : itemId(self(), expect))
    return name
  }

  /** Publishes an item's protocol under the name its YAML gives (as `paip push` does), refusing another user's name. */
  async function publish (protocol: string, who: Principal, expect?: string): Promise<Entry> {
    const name = protocolNameFor(protocol, who, expect)
    const held = own().find(e => e.record.name === name)
    await checkNameFree(name, who, held)
    const signal = AbortSignal.any([AbortSignal.timeout(30_000), components.shutdownSignal])
    const result = await components.marketplace.publish({ user: who.name, admin: isAdmin(who as any), name, file: held?.record.value.file ?? `${name.slice(name.indexOf('/') + 1)}.yaml`, content: new TextEncoder().encode(protocol) }, { signal })
    const entry = own().find(e => e.record.name === result.name)
    if (entry == null) throw new NotFoundError(`published ${result.name} but cannot find it`)
    return entry
  }

  return { keepLocal, publish }
}

/**
 * The original's three cases: public (everyone; no private flag, no groups), private (its
 * author; no groups), or neither (its author and its groups' members).
 */
export function visibilityOf (item: Partial<ItemMeta>): Pick<ItemMeta, 'isPublic' | 'isPrivate' | 'groupList'> {
  if (item.isPrivate === true) return { isPublic: false, isPrivate: true, groupList: [] }
  if (item.isPublic !== false) return { isPublic: true, isPrivate: false, groupList: [] }
  return { isPublic: false, isPrivate: false, groupList: [...new Set(item.groupList ?? [])] }
}

/** A new item's fields before the client's. */
export function defaults (): Omit<ItemMeta, 'id' | 'name' | 'author' | 'createdAt' | 'updatedAt'> {
  return {
    type: 'template', source: 'marketplace', isPublic: true, isPrivate: false, groupList: [], dataType: '', dataUrl: '', useBlob: false,
    categories: [], tags: [], summary: '', description: '', useNumber: 0, status: 'pending', stars: []
  }
}

/** The fields a client may set on an item. */
export function pick (body: Partial<ItemMeta>): Partial<ItemMeta> {
  const out: Partial<ItemMeta> = {}
  for (const key of ['name', 'type', 'source', 'isPublic', 'isPrivate', 'groupList', 'dataType', 'dataUrl', 'useBlob', 'categories', 'tags', 'summary', 'description'] as const) {
    if (body[key] !== undefined) (out as any)[key] = body[key]
  }
  return out
}

