import { InvalidArgumentError } from '../../errors.js'
import { requestSignal } from '../signal.js'
import type { Algorithms } from '../../algorithms/index.js'
import type { Host } from '../../net/host.js'
import type { ApiDeps, ApiRoute } from '../route.js'
import type { FastifyRequest } from 'fastify'

/** What the algorithm routes use. */
export interface AlgorithmRouteComponents {
  algorithms: Algorithms
  host: Pick<Host, 'peerId'>
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

const refParams = {
  type: 'object',
  required: ['owner', 'name'],
  properties: { owner: { type: 'string', minLength: 1, maxLength: 64 }, name: { type: 'string', minLength: 1, maxLength: 140 } }
} as const

const publishBody = {
  type: 'object',
  required: ['name', 'code', 'language'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 128 },
    code: { type: 'string', maxLength: 1024 },
    language: { type: 'string', maxLength: 32 },
    data: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 1024 } },
    entry: { type: 'string', maxLength: 512 },
    public: { type: 'boolean' }
  }
} as const

/** `owner/name[@version]` from the route, `.my` as the caller. */
async function refOf (deps: ApiDeps<AlgorithmRouteComponents>, request: FastifyRequest): Promise<string> {
  const { owner, name } = request.params as { owner: string, name: string }
  const query = request.query as Record<string, string | undefined>
  let user = owner
  if (owner === '.my') {
    const principal = await deps.access.principalOf(request)
    if (principal == null) throw new InvalidArgumentError('.my needs a token')
    user = principal.name
  }
  const version = query.version == null ? '' : `@${query.version}`
  return `${user}/${name}${name.includes('@') ? '' : version}`
}

/**
 * Algorithms: publish (`publish` role), list, show, remove (owner or admin), and call
 * (`POST /api/v1/algorithms/<user>/<name>` with the JSON payload as the body; `?timeout=` in
 * seconds, `?version=`): answered `{ result, metadata }` or the algorithm's error.
 */
export const algorithmRoutes: ApiRoute<AlgorithmRouteComponents> = (app, deps) => {
  const { access } = deps

  app.get('/api/v1/algorithms', { onRequest: access.readAccess }, async request => {
    const owner = (request.query as Record<string, string | undefined>).owner
    return { algorithms: await deps.components.algorithms.list(owner) }
  })

  app.post('/api/v1/algorithms', { onRequest: access.requireRole('publish', 'publish algorithms'), schema: { body: publishBody } }, async (request, reply) => {
    const principal = request.principal as NonNullable<FastifyRequest['principal']>
    const version = await deps.components.algorithms.publish(request.body as any, principal, { signal: requestSignal(request, reply, { shutdown: deps.components.shutdownSignal }) })
    void reply.status(201)
    return version
  })

  app.get('/api/v1/algorithms/:owner/:name', { onRequest: access.readAccess, schema: { params: refParams } }, async request => {
    return await deps.components.algorithms.get(await refOf(deps, request))
  })

  app.delete('/api/v1/algorithms/:owner/:name', { onRequest: access.requireWrite, schema: { params: refParams } }, async request => {
    const principal = request.principal as NonNullable<FastifyRequest['principal']>
    return { removed: await deps.components.algorithms.remove(await refOf(deps, request), principal) }
  })

  app.post('/api/v1/algorithms/:owner/:name', { onRequest: access.requireWrite, schema: { params: refParams } }, async (request, reply) => {
    const principal = request.principal as NonNullable<FastifyRequest['principal']>
    const query = request.query as Record<string, string | undefined>
    const seconds = query.timeout == null ? undefined : Number(query.timeout)
    if (seconds != null && (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)) throw new InvalidArgumentError('timeout is a number of seconds, at most 3600')
    const algorithms = deps.components.algorithms
    const signal = requestSignal(request, reply, { shutdown: deps.components.shutdownSignal })
    return await algorithms.call(await refOf(deps, request), request.body ?? null, { peer: deps.components.host.peerId.toString(), user: principal.name }, {
      signal,
      ...(seconds == null ? {} : { timeout: Math.round(seconds * 1000) })
    })
  })
}
