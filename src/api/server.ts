import { maxHeaderSize } from 'node:http'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import { Ajv } from 'ajv'
import fastify from 'fastify'
import { createAccess } from './auth.js'
import { countRequests, metricsRoute } from './metrics.js'
import { MAX_JSON_BODY_BYTES } from './constants.js'
import { errorBody, errorResponse } from './replies.js'
import { VERSION } from '../version.js'
import type { Authenticator } from './auth.js'
import type { ValidateFunction } from 'ajv'
import type { MetricsRouteInit } from './metrics.js'
import type { ApiDeps, ApiRoute } from './route.js'
import type { ComponentLogger } from '@libp2p/interface'
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'

/** What the server itself needs; each route group names the components it needs besides. */
export interface ApiServerComponents {
  logger: ComponentLogger
  authenticator: Authenticator
}

export interface ApiServerInit<C = unknown> {
  /** The route groups, e.g. ROUTES from `src/api/routes/index.ts`. */
  routes: readonly ApiRoute<C>[]
  /** Reads need a token too. */
  private?: boolean
  /** Largest JSON body, in bytes. */
  bodyLimit?: number
  /** Origins allowed to call the API from a web page (CORS): `*` any, or exact origins; default none. */
  corsOrigins?: readonly string[]
  /** Count requests into these metrics and serve `GET /metrics` (config `api.metrics` says to whom). */
  metrics?: MetricsRouteInit
  /** Runs before every route (added before the routes, so it reaches all of them). */
  onRequest?: (request: FastifyRequest) => Promise<void>
  /** Told what the node's admin must act on (a full disk); the daemon prints it at the default level. */
  onWarning?: (message: string) => void
}

/** Largest request head (request line and headers) the server reads: Node's, in bytes. */
const MAX_HEADER_BYTES = maxHeaderSize

/**
 * JSON bodies are validated as they are (a number is not a string); params and query strings,
 * which are always text, are coerced to the types their schemas name.
 */
function validatorCompiler (): (route: { schema: any, httpPart?: string }) => (data: any) => any {
  // fastify's own defaults (allErrors off: a DoS otherwise), but for coercion of bodies
  const options = { useDefaults: true, removeAdditional: true, addUsedSchema: false, allErrors: false } as const
  const body = new Ajv({ ...options, coerceTypes: false })
  const text = new Ajv({ ...options, coerceTypes: 'array' })
  return ({ schema, httpPart }) => lazily(() => (httpPart === 'body' ? body : text).compile(schema))
}

/**
 * A validator compiled on its first use: compiling every route's schemas was ~0.3 s of CPU at
 * each start, for routes most nodes never serve. It keeps what fastify reads from Ajv's own:
 * `schemaEnv` (root values are coerced in place through the parent given) and `errors`.
 */
function lazily (compile: () => ValidateFunction): (data: any, context?: any) => any {
  let compiled: ValidateFunction | undefined
  const validate = (): ValidateFunction => {
    compiled ??= compile()
    return compiled
  }
  const lazy = Object.assign((data: any, context?: any) => {
    const run = validate()
    const valid = run(data, context)
    lazy.errors = run.errors
    return valid
  }, { errors: undefined as ValidateFunction['errors'] })
  Object.defineProperty(lazy, 'schemaEnv', { get: () => validate().schemaEnv })
  return lazy
}

export type ApiServer = FastifyInstance

/**
 * The node's HTTP API: the route groups given, one error handler mapping
 * PaipError kinds to statuses with the body `{ error: { name, kind, message, details } }`.
 * `application/octet-stream` and `application/x-tar` bodies are not parsed: `request.body` is the raw stream
 * (routes that take uploads set their own limit).
 */
export async function createApiServer<C> (components: ApiServerComponents & NoInfer<C>, init: ApiServerInit<C>): Promise<ApiServer> {
  const log = components.logger.forComponent('paip:api')
  const app = fastify({
    logger: false,
    bodyLimit: init.bodyLimit ?? MAX_JSON_BODY_BYTES,
    forceCloseConnections: true,
    return503OnClosing: true,
    // a request Node cannot parse (headers too large, garbage) gets the same error shape
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (!socket.writable) return
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
      const status = tooLarge ? 431 : err.code === 'HPE_REQUEST_TIMEOUT' ? 408 : 400
      const body = JSON.stringify(tooLarge
        ? errorBody('HeadersTooLargeError', 'too-large', `the request's headers are over ${MAX_HEADER_BYTES} bytes`)
        : errorBody('MalformedRequestError', 'invalid-input', 'the request is not valid HTTP/1.1'))
      socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    }
  })
  app.setValidatorCompiler(validatorCompiler())
  const access = createAccess(components.authenticator, { private: init.private })
  app.decorateRequest('principal', undefined)

  app.addContentTypeParser(['application/octet-stream', 'application/x-tar'], (_request, payload, done) => { done(null, payload) })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = errorResponse(err)
    if (status === 507) init.onWarning?.(`${request.method} ${request.url.split('?')[0]} failed: the disk holding the node's home is full (${String(err?.message ?? err).split('\n')[0]})`)
    if (status >= 500) log.error('%s %s failed: %e', request.method, request.url, err)
    void reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('RouteNotFoundError', 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })

  // cross-origin calls (the /plugin.js element in another portal): tokens go in the Authorization
  // header, never cookies, so credentials mode stays off; preflights answer before any auth hook
  const origins = init.corsOrigins ?? []
  if (origins.length > 0) {
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : [...origins],
      methods: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      exposedHeaders: ['content-disposition', 'location'],
      credentials: false,
      maxAge: 600
    })
  }
  if (init.metrics != null) countRequests(app, init.metrics.metrics)
  if (init.onRequest != null) app.addHook('onRequest', init.onRequest)
  // before the routes: it collects every route's own schema into the OpenAPI document
  await app.register(swagger, { openapi: OPENAPI_INFO })
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  if (init.metrics != null) metricsRoute(app, access, init.metrics)

  const deps: ApiDeps<C> = { components, access }
  for (const route of init.routes) {
    // biome-ignore lint/nursery/noMisusedPromises: fastify awaits an async plugin
    await app.register(async scope => { await route(scope, deps) })
  }
  return app
}

/** The OpenAPI document's fixed parts; its paths come from the routes. */
const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'paip node API',
    version: VERSION,
    description: 'The HTTP API of a paip node: protocols (marketplace), datasets, models, jobs, users, the node and its peers. Writes take `Authorization: Bearer <token>`.'
  },
  components: {
    securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } }
  }
}
