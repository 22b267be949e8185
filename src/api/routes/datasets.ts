import tar from 'tar-stream'
import { parseKind } from '../../catalog/index.js'
import { InvalidArgumentError, PaipError } from '../../errors.js'
import { MAX_RAW_BODY_BYTES } from '../constants.js'
import { acceptsNdjson, ndjsonStream, NDJSON_TYPE } from '../../ndjson.js'
import { errorResponse } from '../replies.js'
import { requestSignal } from '../signal.js'
import { requireOwner } from '../../users/roles.js'
import { second } from '../../time.js'
import type { Catalog, CatalogEntry, EntryKind, SearchResult, UploadedFile } from '../../catalog/index.js'
import type { ApiRoute } from '../route.js'
import type { FastifyReply } from 'fastify'
import type { Readable } from 'node:stream'

/** What the dataset and model routes use. */
export interface CatalogRouteComponents {
  catalog: Catalog
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

/** Deadline of a search started over HTTP. */
export const SEARCH_TIMEOUT = 15 * second

const refParams = {
  type: 'object',
  required: ['ref'],
  properties: { ref: { type: 'string', minLength: 1, maxLength: 256 } }
} as const

const searchBody = {
  type: 'object',
  required: ['query'],
  additionalProperties: false,
  properties: {
    // the cap on terms is the catalog's (a clear InvalidQueryError), this only stops abuse
    query: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 256 } },
    timeout: { type: 'integer', minimum: 100, maximum: 120_000 }
  }
} as const

const fetchBody = {
  type: 'object',
  required: ['ref'],
  additionalProperties: false,
  properties: { ref: { type: 'string', minLength: 1, maxLength: 256 } }
} as const

/** A search answer for programs: the entry, the node and how it matched. */
export function searchAnswer (results: SearchResult[]): { results: SearchResult[] } {
  return { results }
}

function parseMetadataParam (value: unknown): unknown {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError('an upload needs the metadata as JSON in the `metadata` query parameter')
  try { return JSON.parse(value) } catch { throw new InvalidArgumentError('the `metadata` query parameter is not JSON') }
}

/**
 * The catalog's REST routes for one kind (`/api/v1/datasets` or `/api/v1/models`):
 * list, show, add (a path on the node as JSON, a streamed file as application/octet-stream, or
 * a directory as an application/x-tar stream, both with `?metadata=<JSON>`), remove, search, fetch.
 */
export function catalogRoutes (kind: EntryKind): ApiRoute<CatalogRouteComponents> {
  parseKind(kind)
  const base = `/api/v1/${kind}s`
  return (app, deps) => {
    const { access } = deps

    app.get(base, { onRequest: access.readAccess }, async request => {
      const tag = (request.query as Record<string, string | undefined>).tag
      return { [`${kind}s`]: await deps.components.catalog.list(kind, { tag }) }
    })

    app.get(`${base}/:ref`, { onRequest: access.readAccess, schema: { params: refParams } }, async request => {
      const { ref } = request.params as { ref: string }
      const resolved = await deps.components.catalog.resolve(kind, ref)
      return { ...resolved.entry, manifestFiles: resolved.manifest.files }
    })

    app.post(base, { onRequest: access.requireRole('publish', `add ${kind}s`), bodyLimit: MAX_RAW_BODY_BYTES }, async (request, reply) => {
      const catalog = deps.components.catalog
      const owner = request.principal?.name
      const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal })
      const type = String(request.headers['content-type'] ?? '')
      let entry: CatalogEntry
      if (type.startsWith('application/x-tar')) {
        // a directory: a tar stream of its files, stored as they arrive
        const metadata = parseMetadataParam((request.query as Record<string, string | undefined>).metadata)
        entry = await catalog.add(kind, { files: tarFiles(request.body as Readable) }, metadata, { signal, maxBytes: MAX_RAW_BODY_BYTES, owner })
      } else if (type.startsWith('application/octet-stream')) {
        const query = request.query as Record<string, string | undefined>
        const metadata = parseMetadataParam(query.metadata)
        const filename = query.filename ?? (metadata as any)?.name
        if (typeof filename !== 'string' || filename === '') throw new InvalidArgumentError('an upload needs a `filename` query parameter')
        entry = await catalog.add(kind, { stream: request.body as Readable, filename }, metadata, { signal, maxBytes: MAX_RAW_BODY_BYTES, owner })
      } else {
        // a path on the node's own disk: only its admin may name one
        await access.requireAdmin(request, reply)
        const body = request.body as { path?: unknown, metadata?: unknown }
        if (body == null || typeof body.path !== 'string' || body.metadata == null || typeof body.metadata !== 'object') {
          throw new InvalidArgumentError('expected {"path": "<file or directory on the node>", "metadata": {...}} or an application/octet-stream upload')
        }
        entry = await catalog.add(kind, { path: body.path }, body.metadata, { signal, owner })
      }
      void reply.status(201)
      return entry
    })

    app.delete(`${base}/:ref`, { onRequest: access.requireWrite, schema: { params: refParams } }, async request => {
      const { ref } = request.params as { ref: string }
      const catalog = deps.components.catalog
      const entry = await catalog.get(kind, ref)
      if (request.principal != null) requireOwner(request.principal, entry.owner, `${kind} ${entry.name}`, 'delete')
      return catalog.remove(kind, entry.name)
    })

    app.post(`${base}/search`, { onRequest: access.readAccess, schema: { body: searchBody } }, async (request, reply) => {
      const body = request.body as { query: string[], timeout?: number }
      const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal, timeout: body.timeout ?? SEARCH_TIMEOUT })
      return searchAnswer(await deps.components.catalog.search(kind, body.query, { signal }))
    })

    app.post(`${base}/fetch`, { onRequest: access.requireRole('publish', `fetch ${kind}s to this node`), schema: { body: fetchBody } }, async (request, reply) => {
      const { ref } = request.body as { ref: string }
      const catalog = deps.components.catalog
      const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal })
      const owner = request.principal?.name
      if (!acceptsNdjson(request.headers.accept)) {
        return catalog.fetch(kind, ref, { signal, owner })
      }
      return streamFetch(reply, catalog, kind, ref, signal, owner)
    })
  }
}

/** The regular files of a tar stream, one after another; any other kind of entry is refused. */
async function * tarFiles (body: Readable): AsyncGenerator<UploadedFile> {
  const extract = tar.extract()
  body.once('error', err => { extract.destroy(err) })
  body.pipe(extract)
  try {
    for await (const entry of extract) {
      const { type, name } = entry.header
      if (type === 'directory') { entry.resume(); continue }
      if (type !== 'file' && type !== 'contiguous-file') {
        throw new InvalidArgumentError(`the uploaded tar has ${name.slice(0, 200)} of type ${String(type)}: only regular files and directories are taken`)
      }
      yield { path: name.replace(/^(\.\/)+/, ''), stream: entry as unknown as AsyncIterable<Uint8Array> }
      entry.resume() // whatever the consumer left unread
    }
  } catch (err: any) {
    if (err instanceof PaipError) throw err
    throw new InvalidArgumentError(`the upload is not a readable tar stream: ${String(err?.message ?? err)}`)
  } finally {
    extract.destroy()
    body.unpipe(extract)
    body.resume()
  }
}

/** Answers a fetch as NDJSON lines: `{"progress": {...}}` as bytes arrive, then `{"entry"}` or `{"error"}`. */
function streamFetch (reply: FastifyReply, catalog: Catalog, kind: EntryKind, ref: string, signal: AbortSignal, owner?: string): FastifyReply {
  let last = 0
  return reply.type(NDJSON_TYPE).send(ndjsonStream(async line => {
    const entry = await catalog.fetch(kind, ref, {
      signal,
      owner,
      onProgress: progress => {
        const now = Date.now()
        if (progress.phase === 'file' && now - last < 100) return
        last = now
        line({ progress })
      }
    })
    line({ entry })
  }, err => errorResponse(err).body))
}

export const datasetRoutes: ApiRoute<CatalogRouteComponents> = catalogRoutes('dataset')
