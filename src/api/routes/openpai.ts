/**
 * The OpenPAI marketplace REST API (v1), so its clients (the OpenPAI webportal's marketplace
 * plugin, scripts) can use a paip node as their marketplace. Public items are this node's
 * published protocols: creating one publishes its protocol on the grid as `paip push` does, and
 * every protocol the node publishes is an item. What the protocol record does not carry (type,
 * tags, categories, summary, status, stars...) is kept per item in the node's database.
 *
 * An item that is not public (private: its author's; or shared with groups) is never published:
 * the grid would serve it to anyone. It is kept on this node only, protocol included, and read
 * through these routes by its author, the admin and (not private) members of its groups.
 */
import { createHash, randomUUID } from 'node:crypto'
import { InvalidArgumentError, NotFoundError, PaipError } from '../../errors.js'
import { checkProtocolName, qualifiedName, splitQualified } from '../../marketplace/index.js'
import { sublevel } from '../../storage/level.js'
import { validateProtocol } from '../../protocol/index.js'
import { isAdmin, requireOwner } from '../../users/roles.js'
import { ForbiddenError } from '../errors.js'
import type { Entry } from '../../marketplace/index.js'
import type { Database } from '../../storage/level.js'
import type { PeerId } from '@libp2p/interface'
import type { RouteMarketplace } from './repo.js'
import type { Principal } from '../auth.js'
import type { ApiRoute } from '../route.js'
import type { FastifyRequest } from 'fastify'

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

const STATUSES = ['pending', 'approved', 'rejected'] as const
/** The category only the admin may put items in, or change items of. */
const OFFICIAL = 'official-example'

/** What is kept per item besides its protocol record. */
interface ItemMeta {
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

const strings = { type: 'array', items: { type: 'string', maxLength: 128 }, maxItems: 64 } as const
const itemFields = {
  name: { type: 'string', minLength: 1, maxLength: 128 },
  author: { type: 'string', minLength: 1, maxLength: 64 },
  type: { type: 'string', maxLength: 64 },
  source: { type: 'string', enum: ['marketplace', 'pai'] },
  isPublic: { type: 'boolean' },
  isPrivate: { type: 'boolean' },
  groupList: strings,
  dataType: { type: 'string', maxLength: 64 },
  dataUrl: { type: 'string', maxLength: 2048 },
  useBlob: { type: 'boolean' },
  categories: strings,
  tags: strings,
  summary: { type: 'string', maxLength: 1024 },
  description: { type: 'string', maxLength: 65536 },
  protocol: { type: 'string', maxLength: 1024 * 1024 },
  status: { type: 'string', enum: STATUSES }
} as const
const createBody = { type: 'object', required: ['name', 'author', 'protocol'], properties: itemFields } as const
const updateBody = { type: 'object', properties: itemFields } as const
const idParams = { type: 'object', required: ['itemId'], properties: { itemId: { type: 'string', maxLength: 64 } } } as const
const listQuery = {
  type: 'object',
  properties: {
    name: { type: 'string' }, author: { type: 'string' }, type: { type: 'string' }, source: { type: 'string' },
    keyword: { type: 'string' }, tag: { type: 'string' }, category: { type: 'string' }, status: { type: 'string' }
  }
} as const

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

const csv = (v: string | undefined): string[] => (v ?? '').split(',').map(s => s.trim()).filter(s => s !== '')

/** What the OpenPAI item routes use: the marketplace, the node's database (their own sublevel) and its peer ID. */
export interface OpenpaiRouteComponents {
  marketplace: RouteMarketplace
  db: Database
  peerId: PeerId
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

export const openpaiRoutes: ApiRoute<OpenpaiRouteComponents> = (app, { components, access }) => {
  const db = sublevel<ItemMeta & { protocolName: string }>(components.db, 'openpai-items')
  const self = (): string => components.peerId.toString()

  function own (): Entry[] { return components.marketplace.entries().filter(e => e.own && e.record.publisher === self()) }

  /** The non-public items, kept on this node only (never published). */
  async function localItems (): Promise<Array<ItemMeta & { protocolName: string }>> {
    const out: Array<ItemMeta & { protocolName: string }> = []
    for await (const meta of db.values()) if (meta.localProtocol != null && meta.deleted !== true) out.push(meta)
    return out
  }

  /** Every item: the published protocols, then the local ones. */
  async function * allItems (): AsyncGenerator<{ entry?: Entry, meta: ItemMeta & { protocolName: string } }> {
    const published = new Set<string>()
    for (const entry of own()) {
      const meta = await metaOf(entry)
      published.add(meta.id)
      if (meta.deleted !== true) yield { entry, meta }
    }
    for (const meta of await localItems()) if (!published.has(meta.id)) yield { meta }
  }

  async function metaOf (entry: Entry): Promise<ItemMeta & { protocolName: string }> {
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

  async function itemJson (entry: Entry | undefined, meta: ItemMeta & { protocolName: string }): Promise<Record<string, unknown>> {
    const { stars, deleted, localProtocol, ...rest } = meta
    void deleted
    if (entry == null) return { ...rest, protocol: localProtocol, starNumber: stars.length, publisher: self(), published: false }
    const { content } = await components.marketplace.readFile(entry.record.value.file, entry.record.publisher, entry.record.value.user)
    return { ...rest, protocol: new TextDecoder().decode(content), starNumber: stars.length, publisher: entry.record.publisher, protocolName: entry.record.name, version: entry.record.value.version, published: true }
  }

  async function find (id: string): Promise<{ entry?: Entry, meta: ItemMeta & { protocolName: string } }> {
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

  /**
   * The original's read rule: public; or the reader may write it (its author, the admin); or,
   * not private, the reader belongs to one of its groups.
   */
  const mayRead = (who: Principal | undefined, meta: ItemMeta): boolean =>
    meta.isPublic || (who != null && (isAdmin(who as any) || who.name === meta.author ||
      (!meta.isPrivate && meta.groupList.some(group => who.groups?.includes(group) === true))))

  /** Reading refused as the original refuses it (403); the item's existence is no secret from its ID alone. */
  function mustRead (who: Principal | undefined, meta: ItemMeta): void {
    if (!mayRead(who, meta)) throw new ForbiddenError(`The access to the item ${meta.id} is forbidden`)
  }

  function mayWrite (who: Principal, meta: ItemMeta, action: string): void {
    requireOwner(who as any, meta.author, `item ${meta.id}`, action)
    if (meta.categories.includes(OFFICIAL) && !isAdmin(who as any)) throw new ForbiddenError(`items in the ${OFFICIAL} category are changed by the admin only`)
  }

  /** A protocol name an item of another user holds (published or local) is not this user's to take. */
  async function checkNameFree (name: string, who: Principal, held: Entry | undefined, except?: string): Promise<void> {
    const holders = [...(held == null ? [] : [await metaOf(held)]), ...(await localItems()).filter(m => m.protocolName === name && m.id !== except)]
    for (const meta of holders) {
      if (meta.deleted !== true && meta.author !== who.name && !isAdmin(who as any)) throw new ProtocolNameTakenError(name, meta.author)
    }
  }

  /** A non-public item's protocol checked and named as a published one would be, kept here only. */
  async function keepLocal (protocol: string, who: Principal, expect?: string): Promise<string> {
    const checked = validateProtocol(protocol)
    if (!checked.ok) throw new ItemProtocolInvalidError(checked.errors)
    const owner = expect != null ? splitQualified(expect).user : who.name
    const name = qualifiedName(owner, protocolNameOf(String(checked.protocol?.name ?? '')))
    if (expect != null && name !== expect) throw new InvalidArgumentError(`the item's protocol is named ${expect}; this one is named ${name}`)
    const held = own().find(e => e.record.name === name)
    if (held != null && (await metaOf(held)).deleted !== true) throw new ProtocolNameTakenError(name, (await metaOf(held)).author)
    await checkNameFree(name, who, undefined, expect == null ? undefined : itemId(self(), expect))
    return name
  }

  /** Publishes an item's protocol under the name its YAML gives (as `paip push` does), refusing another user's name. */
  async function publish (protocol: string, who: Principal, expect?: string): Promise<Entry> {
    const checked = validateProtocol(protocol)
    if (!checked.ok) throw new ItemProtocolInvalidError(checked.errors)
    // a user's protocols are `<user>/<name>` on this node (the admin's bare); an update keeps the item's owner
    const owner = expect != null ? splitQualified(expect).user : who.name
    const name = qualifiedName(owner, protocolNameOf(String(checked.protocol?.name ?? '')))
    if (expect != null && name !== expect) throw new InvalidArgumentError(`the item's protocol is named ${expect}; this one is named ${name}`)
    const held = own().find(e => e.record.name === name)
    await checkNameFree(name, who, held)
    const signal = AbortSignal.any([AbortSignal.timeout(30_000), components.shutdownSignal])
    const result = await components.marketplace.publish({ user: who.name, admin: isAdmin(who as any), name, file: held?.record.value.file ?? `${name.slice(name.indexOf('/') + 1)}.yaml`, content: new TextEncoder().encode(protocol) }, { signal })
    const entry = own().find(e => e.record.name === result.name)
    if (entry == null) throw new NotFoundError(`published ${result.name} but cannot find it`)
    return entry
  }

  app.get('/items', { onRequest: access.readAccess, schema: { querystring: listQuery, summary: 'OpenPAI marketplace: list items (this node\'s published protocols)' } }, async request => {
    const q = request.query as Record<string, string | undefined>
    const who = await access.principalOf(request)
    const tags = csv(q.tag)
    const categories = csv(q.category)
    const keyword = q.keyword?.toLowerCase()
    const out: unknown[] = []
    for await (const { entry, meta } of allItems()) {
      if (!mayRead(who, meta)) continue
      if (q.name != null && meta.name !== q.name) continue
      if (q.author != null && meta.author !== q.author) continue
      if (q.type != null && q.type !== 'all' && meta.type !== q.type) continue
      if (q.source != null && meta.source !== q.source) continue
      if (q.status != null && meta.status !== q.status) continue
      if (keyword != null && ![meta.name, meta.author, meta.summary].some(t => t.toLowerCase().includes(keyword))) continue
      if (tags.length > 0 && !tags.some(t => meta.tags.includes(t))) continue
      if (categories.length > 0 && !categories.some(c => meta.categories.includes(c))) continue
      out.push(await itemJson(entry, meta))
    }
    return out
  })

  app.post('/items', { onRequest: access.requireRole('publish', 'publish protocols'), schema: { body: createBody, summary: 'OpenPAI marketplace: create an item (publishes its protocol on the grid)' } }, async (request, reply) => {
    const who = request.principal as Principal
    const body = request.body as Partial<ItemMeta> & { protocol: string, name: string, author: string }
    if (body.author !== who.name) throw new ForbiddenError(`You are not allowed to create item with author ${body.author}`)
    if (body.protocol === '') throw new InvalidArgumentError('Empty protocol is not allowed')
    if ((body.categories ?? []).includes(OFFICIAL) && !isAdmin(who as any)) throw new ForbiddenError(`items in the ${OFFICIAL} category are created by the admin only`)
    if (body.status != null && body.status !== 'pending' && !isAdmin(who as any)) throw new ForbiddenError('only the admin sets an item\'s status')
    const visibility = visibilityOf(body)
    const now = new Date().toISOString()
    let meta: ItemMeta & { protocolName: string }
    if (visibility.isPublic) {
      const entry = await publish(body.protocol, who)
      meta = { ...(await metaOf(entry)), ...pick(body), ...visibility, id: itemId(entry.record.publisher, entry.record.name), name: body.name, author: who.name, protocolName: entry.record.name, status: body.status ?? 'pending', stars: [], createdAt: now, updatedAt: now, deleted: false }
    } else {
      // not public: kept on this node only, never published (the grid would serve it to anyone)
      const protocolName = await keepLocal(body.protocol, who)
      meta = {
        ...defaults(), ...pick(body), ...visibility, id: itemId(self(), protocolName), name: body.name, author: who.name, protocolName,
        localProtocol: body.protocol, status: body.status ?? 'pending', stars: [], createdAt: now, updatedAt: now, deleted: false
      }
    }
    const id = meta.id
    await db.put(id, meta)
    void reply.status(201)
    return { id }
  })

  app.get('/items/:itemId', { onRequest: access.readAccess, schema: { params: idParams, summary: 'OpenPAI marketplace: one item' } }, async request => {
    const { entry, meta } = await find((request.params as { itemId: string }).itemId)
    mustRead(await access.principalOf(request), meta)
    return await itemJson(entry, meta)
  })

  app.put('/items/:itemId', { onRequest: access.requireWrite, schema: { params: idParams, body: updateBody, summary: 'OpenPAI marketplace: update an item (a new protocol is a new version)' } }, async (request, reply) => {
    const who = request.principal as Principal
    const { entry, meta } = await find((request.params as { itemId: string }).itemId)
    mayWrite(who, meta, 'update')
    const body = request.body as Partial<ItemMeta> & { protocol?: string }
    if (body.author != null && body.author !== meta.author && !isAdmin(who as any)) throw new ForbiddenError('only the admin changes an item\'s author')
    if (body.status != null && body.status !== meta.status && !isAdmin(who as any)) throw new ForbiddenError('only the admin sets an item\'s status')
    if ((body.categories ?? []).includes(OFFICIAL) && !isAdmin(who as any)) throw new ForbiddenError(`items in the ${OFFICIAL} category are changed by the admin only`)
    if (body.protocol === '') throw new InvalidArgumentError('Empty protocol is not allowed')
    const next = { ...meta, ...pick(body) }
    const visibility = visibilityOf(next)
    if (entry != null && !visibility.isPublic) throw new ItemPublishedError(meta.id)
    let localProtocol: string | undefined
    if (entry != null) {
      if (body.protocol != null) await publish(body.protocol, who, entry.record.name)
    } else if (visibility.isPublic) {
      // made public: published on the grid from now on, under the name it had (its ID stays)
      await publish(body.protocol ?? meta.localProtocol ?? '', who, meta.protocolName)
    } else {
      localProtocol = body.protocol == null ? meta.localProtocol : (await keepLocal(body.protocol, who, meta.protocolName), body.protocol)
    }
    await db.put(meta.id, { ...next, ...visibility, localProtocol, ...(body.author == null ? {} : { author: body.author }), ...(body.status == null ? {} : { status: body.status }), updatedAt: new Date().toISOString() })
    return await reply.type('text/plain; charset=utf-8').send('updated')
  })

  app.delete('/items/:itemId', { onRequest: access.requireWrite, schema: { params: idParams, summary: 'OpenPAI marketplace: delete an item' } }, async (request, reply) => {
    const who = request.principal as Principal
    const { meta } = await find((request.params as { itemId: string }).itemId)
    mayWrite(who, meta, 'delete')
    // signed records cannot be recalled from the DHT: the item is gone, its published versions stay until they expire
    await db.put(meta.id, { ...meta, deleted: true })
    return await reply.type('text/plain; charset=utf-8').send('deleted')
  })

  // tags and categories of one item: attach and detach under the item's write rule
  for (const [kind, field] of [['tag', 'tags'], ['category', 'categories']] as const) {
    const labelParams = { type: 'object', required: ['itemId', 'label'], properties: { itemId: { type: 'string', maxLength: 64 }, label: { type: 'string', minLength: 1, maxLength: 128 } } } as const
    app.get(`/items/:itemId/${kind}`, { onRequest: access.readAccess, schema: { params: idParams, summary: `OpenPAI marketplace: an item's ${field}` } }, async request => {
      const { meta } = await find((request.params as { itemId: string }).itemId)
      mustRead(await access.principalOf(request), meta)
      return meta[field].map(name => ({ id: name, name }))
    })
    for (const method of ['POST', 'DELETE'] as const) {
      app.route({
        method,
        url: `/items/:itemId/${kind}/:label`,
        onRequest: access.requireWrite,
        schema: { params: labelParams, summary: `OpenPAI marketplace: ${method === 'POST' ? 'attach a' : 'detach a'} ${kind}` },
        handler: async (request, reply) => {
          const { itemId, label } = request.params as { itemId: string, label: string }
          const { meta } = await find(itemId)
          mayWrite(request.principal as Principal, meta, 'change')
          if (field === 'categories' && label === OFFICIAL && !isAdmin(request.principal as any)) throw new ForbiddenError(`the ${OFFICIAL} category is the admin's`)
          const labels = meta[field].filter(l => l !== label)
          if (method === 'POST') labels.push(label)
          await db.put(meta.id, { ...meta, [field]: labels, updatedAt: new Date().toISOString() })
          return await reply.type('text/plain; charset=utf-8').send(method === 'POST' ? 'added' : 'removed')
        }
      })
    }
    app.get(`/${field}`, { onRequest: access.readAccess, schema: { summary: `OpenPAI marketplace: every ${kind} of the items one may read` } }, async request => {
      const who = await access.principalOf(request)
      const names = new Set<string>()
      for await (const { meta } of allItems()) {
        if (mayRead(who, meta)) meta[field].forEach(n => names.add(n))
      }
      return [...names].sort().map(name => ({ id: name, name }))
    })
  }

  // stars: a user stars items for themself only
  const starParams = { type: 'object', required: ['username', 'itemId'], properties: { username: { type: 'string', maxLength: 64 }, itemId: { type: 'string', maxLength: 64 } } } as const
  const himself = (request: FastifyRequest, username: string): void => {
    const who = request.principal as Principal
    if (who.name !== username && !isAdmin(who as any)) throw new ForbiddenError(`only ${username} stars items as ${username}`)
  }
  app.get('/users/:username/starItems', { onRequest: access.requireWrite, schema: { summary: 'OpenPAI marketplace: the items a user starred' } }, async request => {
    const { username } = request.params as { username: string }
    himself(request, username)
    const out: unknown[] = []
    for await (const { entry, meta } of allItems()) {
      // a star outlives a lost group membership: what one may no longer read is not shown
      if (meta.stars.includes(username) && mayRead(request.principal, meta)) out.push(await itemJson(entry, meta))
    }
    return out
  })
  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({
      method,
      url: '/users/:username/starItems/:itemId',
      onRequest: access.requireWrite,
      schema: { params: starParams, summary: `OpenPAI marketplace: ${method === 'PUT' ? 'star' : 'unstar'} an item` },
      handler: async (request, reply) => {
        const { username, itemId: id } = request.params as { username: string, itemId: string }
        himself(request, username)
        const { meta } = await find(id)
        mustRead(request.principal, meta)
        const stars = meta.stars.filter(s => s !== username)
        if (method === 'PUT') stars.push(username)
        await db.put(meta.id, { ...meta, stars })
        return await reply.type('text/plain; charset=utf-8').send(method === 'PUT' ? 'starred' : 'unstarred')
      }
    })
  }
}

/**
 * The original's three cases: public (everyone; no private flag, no groups), private (its
 * author; no groups), or neither (its author and its groups' members).
 */
function visibilityOf (item: Partial<ItemMeta>): Pick<ItemMeta, 'isPublic' | 'isPrivate' | 'groupList'> {
  if (item.isPrivate === true) return { isPublic: false, isPrivate: true, groupList: [] }
  if (item.isPublic !== false) return { isPublic: true, isPrivate: false, groupList: [] }
  return { isPublic: false, isPrivate: false, groupList: [...new Set(item.groupList ?? [])] }
}

/** A new item's fields before the client's. */
function defaults (): Omit<ItemMeta, 'id' | 'name' | 'author' | 'createdAt' | 'updatedAt'> {
  return {
    type: 'template', source: 'marketplace', isPublic: true, isPrivate: false, groupList: [], dataType: '', dataUrl: '', useBlob: false,
    categories: [], tags: [], summary: '', description: '', useNumber: 0, status: 'pending', stars: []
  }
}

/** The fields a client may set on an item. */
function pick (body: Partial<ItemMeta>): Partial<ItemMeta> {
  const out: Partial<ItemMeta> = {}
  for (const key of ['name', 'type', 'source', 'isPublic', 'isPrivate', 'groupList', 'dataType', 'dataUrl', 'useBlob', 'categories', 'tags', 'summary', 'description'] as const) {
    if (body[key] !== undefined) (out as any)[key] = body[key]
  }
  return out
}

