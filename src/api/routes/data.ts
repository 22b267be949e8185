import { Readable } from 'node:stream'
import { parseDataPath } from '../../data/index.js'
import { MAX_RAW_BODY_BYTES } from '../constants.js'
import { UnauthorizedError } from '../errors.js'
import { requestSignal } from '../signal.js'
import type { DataSpace } from '../../data/index.js'
import type { Principal } from '../auth.js'
import type { ApiDeps, ApiRoute } from '../route.js'
import type { FastifyRequest } from 'fastify'

/** What the data space routes use. */
export interface DataRouteComponents {
  data: DataSpace
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

/** `/api/v1/data/<user>/<collection>/<path>` (`.my` for the caller) → the data path and caller. */
async function target (deps: ApiDeps<DataRouteComponents>, request: FastifyRequest, need: 'file' | 'any'): Promise<{ path: ReturnType<typeof parseDataPath>, as: Principal }> {
  const principal = await deps.access.principalOf(request)
  if (principal == null) throw new UnauthorizedError('a data space is private: a token is required')
  const as = principal
  const rest = String((request.params as Record<string, string>)['*'] ?? '')
  let decoded: string
  try { decoded = rest.split('/').map(s => decodeURIComponent(s)).join('/') } catch { decoded = rest }
  return { path: parseDataPath('data://' + decoded, as.name, need), as }
}

const flag = (value: unknown): boolean => value === '' || value === '1' || value === 'true'

/**
 * The user data space: PUT a file (raw body), GET a file's bytes (or, for a collection or
 * folder, or with `?list`, a JSON listing; `?stat` for a file's entry), DELETE a file (or a
 * folder with `?recursive`). Every path is its owner's (and the admin's) only.
 */
export const dataRoutes: ApiRoute<DataRouteComponents> = (app, deps) => {
  const base = '/api/v1/data/*'
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })

  app.put(base, { onRequest: deps.access.requireWrite, bodyLimit: MAX_RAW_BODY_BYTES }, async (request, reply) => {
    const { path, as } = await target(deps, request, 'file')
    const query = request.query as Record<string, string | undefined>
    const declared = query.size ?? (flag(query.check) ? undefined : request.headers['content-length'])
    const size = declared == null ? undefined : Number(declared)
    if (flag(query.check)) {
      // a dry run: would this put be accepted? (nothing is read or stored)
      await deps.components.data.checkPut(path, as, size != null && Number.isSafeInteger(size) && size >= 0 ? size : undefined)
      return { ok: true }
    }
    const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal })
    const body = request.body as Readable | undefined
    const entry = await deps.components.data.put(path, body ?? Readable.from([]), as, {
      signal,
      ...(size != null && Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
      ...(query.cid == null ? {} : { expectedCid: query.cid })
    })
    void reply.status(201)
    return entry
  })

  app.get(base, { onRequest: deps.access.requireWrite }, async (request, reply) => {
    const { path, as } = await target(deps, request, 'any')
    const query = request.query as Record<string, string | undefined>
    const data = deps.components.data
    if (path.file === '' || flag(query.list)) return await data.list(path, as)
    if (flag(query.stat)) return await data.stat(path, as)
    let found
    try {
      found = await data.get(path, as, { signal: requestSignal(request, reply, { shutdown: deps.components.shutdownSignal }) })
    } catch (err: any) {
      // a folder: list what is under it
      if (err?.name === 'DataNotFoundError') {
        const listing = await data.list(path, as)
        if (listing.files.length > 0) return listing
      }
      throw err
    }
    void reply.header('x-paip-cid', found.entry.cid).header('content-length', found.entry.size)
    return reply.type('application/octet-stream').send(Readable.from(found.bytes))
  })

  app.delete(base, { onRequest: deps.access.requireWrite }, async request => {
    const { path, as } = await target(deps, request, 'any')
    const query = request.query as Record<string, string | undefined>
    const deleted = await deps.components.data.delete(path, as, { recursive: flag(query.recursive) })
    return { deleted }
  })
}
