import type { ApiRoute } from '../route.js'
import type { Fed } from '../../fed/index.js'

/**
 * Federated runs over HTTP (`/api/v1/fed`). Every route needs a token: starting a run is
 * writing (it runs jobs on other nodes under this node's name); status, logs and cancel
 * reach the run's coordinator from any node.
 */

const runBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    name: { type: 'string', minLength: 1, maxLength: 101 },
    train: { type: 'string', minLength: 1, maxLength: 1024 * 1024 },
    aggregate: { type: 'string', minLength: 1, maxLength: 1024 * 1024 },
    dataset: { type: 'string', minLength: 1, maxLength: 1024 },
    rounds: { type: 'integer' },
    minNodes: { type: 'integer' },
    fraction: { type: 'number' },
    init: { type: 'string', minLength: 1, maxLength: 1024 },
    secure: { type: 'boolean' },
    parameters: { type: 'object', additionalProperties: { type: 'string', maxLength: 65536 }, maxProperties: 256 },
    roundTimeout: { type: 'integer' }
  },
  required: ['train', 'aggregate', 'dataset', 'rounds', 'init']
} as const

export const fedRoutes: ApiRoute<{ fed: Fed }> = (app, { components, access }) => {
  const fed = (): Fed => components.fed
  const guard = { onRequest: access.requireWrite }
  const signal = (): AbortSignal => AbortSignal.timeout(30_000)

  app.post('/api/v1/fed', { ...guard, schema: { body: runBody } }, async (request, reply) => {
    const body = request.body as any
    const run = await fed().run({ ...body, ...(request.principal?.name == null ? {} : { user: request.principal.name }) }, { signal: signal() })
    void reply.status(202)
    return { run }
  })

  app.get('/api/v1/fed', guard, async () => ({ runs: await fed().list() }))

  app.get('/api/v1/fed/:id', guard, async request => {
    const { id } = request.params as { id: string }
    return { run: await fed().status(id, { signal: signal() }) }
  })

  app.get('/api/v1/fed/:id/logs', guard, async request => {
    const { id } = request.params as { id: string }
    const { offset } = request.query as { offset?: string }
    const from = offset == null ? 0 : Number(offset)
    return { lines: await fed().logs(id, Number.isSafeInteger(from) && from >= 0 ? from : 0, { signal: signal() }) }
  })

  app.post('/api/v1/fed/:id/cancel', guard, async request => {
    const { id } = request.params as { id: string }
    const user = request.principal?.name
    return { run: await fed().cancel(id, { peer: fed().self, ...(user == null ? {} : { user }) }, { signal: signal() }) }
  })
}
