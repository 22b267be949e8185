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
import { InvalidArgumentError } from '../../errors.js'
import { isAdmin } from '../../users/roles.js'
import { ForbiddenError } from '../errors.js'
import { createItemPublisher, createItemStore, defaults, itemId, ItemPublishedError, mayRead, mayWrite, mustRead, OFFICIAL, pick, STATUSES, visibilityOf } from './openpai-items.js'
import type { ItemMeta, ItemPublisher, ItemStore, KeptItem, OpenpaiRouteComponents } from './openpai-items.js'
import type { Principal } from '../auth.js'
import type { Access } from '../auth.js'
import type { ApiRoute } from '../route.js'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export { ItemProtocolInvalidError, ItemPublishedError, ProtocolNameTakenError, itemId } from './openpai-items.js'
export type { OpenpaiRouteComponents } from './openpai-items.js'

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

const csv = (v: string | undefined): string[] => (v ?? '').split(',').map(s => s.trim()).filter(s => s !== '')

/** What each group of item routes gets: the access checks, the item store and the publisher. */
interface ItemRoutesContext {
  access: Access
  store: ItemStore
  publisher: ItemPublisher
  self: () => string
}

export const openpaiRoutes: ApiRoute<OpenpaiRouteComponents> = (app, { components, access }) => {
  const store = createItemStore(components)
  const ctx: ItemRoutesContext = { access, store, publisher: createItemPublisher(store, components), self: () => components.peerId.toString() }
  readRoutes(app, ctx)
  writeRoutes(app, ctx)
  labelRoutes(app, ctx)
  starRoutes(app, ctx)
}

/** Listing items (with the original's filters) and reading one. */
function readRoutes (app: FastifyInstance, { access, store }: ItemRoutesContext): void {
  const { allItems, itemJson, find } = store
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

  app.get('/items/:itemId', { onRequest: access.readAccess, schema: { params: idParams, summary: 'OpenPAI marketplace: one item' } }, async request => {
    const { entry, meta } = await find((request.params as { itemId: string }).itemId)
    mustRead(await access.principalOf(request), meta)
    return await itemJson(entry, meta)
  })

}

/** Creating, updating and deleting an item, under the item's write rule. */
function writeRoutes (app: FastifyInstance, { access, store, publisher, self }: ItemRoutesContext): void {
  const { db, find, metaOf } = store
  const { keepLocal, publish } = publisher
  app.post('/items', { onRequest: access.requireRole('publish', 'publish protocols'), schema: { body: createBody, summary: 'OpenPAI marketplace: create an item (publishes its protocol on the grid)' } }, async (request, reply) => {
    const who = request.principal as Principal
    const body = request.body as Partial<ItemMeta> & { protocol: string, name: string, author: string }
    if (body.author !== who.name) throw new ForbiddenError(`You are not allowed to create item with author ${body.author}`)
    if (body.protocol === '') throw new InvalidArgumentError('Empty protocol is not allowed')
    if ((body.categories ?? []).includes(OFFICIAL) && !isAdmin(who as any)) throw new ForbiddenError(`items in the ${OFFICIAL} category are created by the admin only`)
    if (body.status != null && body.status !== 'pending' && !isAdmin(who as any)) throw new ForbiddenError('only the admin sets an item\'s status')
    const visibility = visibilityOf(body)
    const now = new Date().toISOString()
    let meta: KeptItem
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
    } else if (body.protocol == null) {
      localProtocol = meta.localProtocol
    } else {
      await keepLocal(body.protocol, who, meta.protocolName)
      localProtocol = body.protocol
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

}

/** Tags and categories of one item: attach and detach under the item's write rule. */
function labelRoutes (app: FastifyInstance, { access, store }: ItemRoutesContext): void {
  const { db, find, allItems } = store
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

}

/** Stars: a user stars items for themself only. */
function starRoutes (app: FastifyInstance, { access, store }: ItemRoutesContext): void {
  const { db, find, allItems, itemJson } = store
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
