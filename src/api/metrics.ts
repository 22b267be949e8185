import { isLoopback } from '../net/addresses.js'
import type { Access } from './auth.js'
import type { Metrics, MetricsAccess } from '../metrics/index.js'
import type { FastifyInstance } from 'fastify'

export { isLoopback }

export interface MetricsRouteInit {
  metrics: Metrics
  /** Who may read it (config `api.metrics`). */
  access: MetricsAccess
}

/**
 * Counts every answered request by its route pattern (never the raw URL: no request can add a
 * label value), method and status. Add it before any route.
 */
export function countRequests (app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeHttp(request.method, request.routeOptions?.url, reply.statusCode, reply.elapsedTime / 1000)
  })
}

/** Serves `GET /metrics` to whom `init.access` allows. */
export function metricsRoute (app: FastifyInstance, access: Access, init: MetricsRouteInit): void {
  const { metrics } = init
  if (init.access === 'off') return
  const guard = async (request: Parameters<Access['requireAdmin']>[0], reply: Parameters<Access['requireAdmin']>[1]): Promise<void> => {
    // a token given must be valid, wherever the request comes from
    await access.principalOf(request)
    if (init.access === 'public') return
    if (init.access === 'local' && isLoopback(request.socket.remoteAddress)) return
    await access.requireAdmin(request, reply)
  }
  app.get('/metrics', {
    onRequest: guard,
    schema: {
      summary: 'the node\'s metrics in Prometheus\'s text format: libp2p\'s and paip\'s (publish, search, fetch, job dispatch, HTTP requests); config api.metrics says who may read them',
      produces: ['text/plain']
    }
  }, async (_request, reply) => await reply.type(metrics.contentType).header('cache-control', 'no-store').send(await metrics.render()))
}
