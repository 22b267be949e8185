/**
 * The OpenPAI marketplace's data storages (`/storages/blobs`, Azure blob containers in the
 * original) on the node's content-addressed blob store: each storage blob is an id (a UUID)
 * naming a blob of the store, with its owner. The mapping lives in the node's database, so the
 * blob sweep keeps its bytes; deleting a storage blob drops the mapping only (the same bytes may
 * be a dataset's file too) and the sweep removes bytes nothing references any more.
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { NotFoundError } from '../../errors.js'
import { sublevel } from '../../storage/level.js'
import { BlobTooLargeError } from '../../storage/errors.js'
import { requireOwner } from '../../users/roles.js'
import { MAX_STORAGE_BLOB_BYTES } from '../constants.js'
import { requestSignal } from '../signal.js'
import type { Principal } from '../auth.js'
import type { BlobStore } from '../../storage/blobs.js'
import type { Database } from '../../storage/level.js'
import type { ApiRoute } from '../route.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

interface StorageBlob {
  id: string
  owner: string
  cid: string
  size: number
  contentType: string
  createdAt: string
  updatedAt: string
}

const blobParams = { type: 'object', required: ['blobId'], properties: { blobId: { type: 'string', minLength: 1, maxLength: 64 } } } as const

/** What the OpenPAI storage routes use: the node's database (their own sublevel) and blob store. */
export interface OpenpaiBlobRouteComponents {
  db: Database
  blobs: BlobStore
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

export const openpaiBlobRoutes: ApiRoute<OpenpaiBlobRouteComponents> = (app, deps) => {
  const { components, access } = deps
  const db = sublevel<StorageBlob>(components.db, 'openpai-blobs')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })

  async function load (request: FastifyRequest): Promise<StorageBlob> {
    const { blobId } = request.params as { blobId: string }
    const found = await db.get(blobId)
    if (found == null) throw new NotFoundError(`no storage blob ${blobId}`)
    return found
  }

  /** Stores the request's body (bounded), answering its CID and size. */
  async function store (request: FastifyRequest, reply: FastifyReply): Promise<Pick<StorageBlob, 'cid' | 'size' | 'contentType'>> {
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_STORAGE_BLOB_BYTES) throw new BlobTooLargeError(`a storage blob is at most ${MAX_STORAGE_BLOB_BYTES} bytes`, { maxBytes: MAX_STORAGE_BLOB_BYTES })
    const body = (request.body as Readable | undefined) ?? Readable.from([])
    const info = await components.blobs.put(body, { maxBytes: MAX_STORAGE_BLOB_BYTES, signal: requestSignal(request, reply, { shutdown: deps.components.shutdownSignal }) })
    const contentType = String(request.headers['content-type'] ?? 'application/octet-stream').slice(0, 128)
    return { cid: info.cid.toString(), size: info.size, contentType }
  }

  const list = async (): Promise<StorageBlob[]> => {
    const all: StorageBlob[] = []
    for await (const value of db.values()) all.push(value)
    return all
  }

  app.get('/storages/blobs', { onRequest: access.readAccess, schema: { summary: 'OpenPAI marketplace: list the data storage blobs' } }, async () => await list())

  app.post('/storages/blobs', { onRequest: access.requireRole('publish', 'store blobs'), bodyLimit: MAX_STORAGE_BLOB_BYTES, schema: { summary: 'OpenPAI marketplace: create a storage blob (the raw body)' } }, async (request, reply) => {
    const who = request.principal as Principal
    const now = new Date().toISOString()
    const blob: StorageBlob = { id: randomUUID(), owner: who.name, ...await store(request, reply), createdAt: now, updatedAt: now }
    await db.put(blob.id, blob)
    void reply.status(201)
    return { id: blob.id }
  })

  app.get('/storages/blobs/:blobId', { onRequest: access.readAccess, schema: { params: blobParams, summary: 'OpenPAI marketplace: a storage blob\'s bytes' } }, async (request, reply) => {
    const blob = await load(request)
    const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal })
    return await reply.type(blob.contentType).header('content-length', blob.size).send(Readable.from(components.blobs.get(blob.cid, { signal })))
  })

  app.put('/storages/blobs/:blobId', { onRequest: access.requireRole('publish', 'store blobs'), bodyLimit: MAX_STORAGE_BLOB_BYTES, schema: { params: blobParams, summary: 'OpenPAI marketplace: replace a storage blob\'s bytes' } }, async (request, reply) => {
    const blob = await load(request)
    requireOwner(request.principal as any, blob.owner, `storage blob ${blob.id}`, 'change')
    await db.put(blob.id, { ...blob, ...await store(request, reply), updatedAt: new Date().toISOString() })
    return await reply.type('text/plain; charset=utf-8').send('updated')
  })

  app.delete('/storages/blobs/:blobId', { onRequest: access.requireWrite, schema: { params: blobParams, summary: 'OpenPAI marketplace: delete a storage blob' } }, async (request, reply) => {
    const blob = await load(request)
    requireOwner(request.principal as any, blob.owner, `storage blob ${blob.id}`, 'delete')
    await db.del(blob.id)
    return await reply.type('text/plain; charset=utf-8').send('deleted')
  })
}
