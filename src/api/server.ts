import { maxHeaderSize } from 'node:http'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import { Ajv } from 'ajv'
import fastify from 'fastify'
import { PaipError, isPaipError } from '../errors.js'
import { createAccess } from './auth.js'
import { KIND_STATUS } from './errors.js'
import { MAX_JSON_BODY_BYTES } from './constants.js'
import { ROUTES } from './routes/index.js'
import { VERSION } from '../version.js'
import type { Access } from './auth.js'
import type { ErrorBody } from './errors.js'
import type { NodeComponents } from '../node/components.js'
import type { ErrorKind } from '../errors.js'
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'

/** What every route plugin gets besides the fastify instance. */
export interface ApiDeps {
  components: NodeComponents
  /** preHandlers: `{ onRequest: deps.access.requireWrite }`. */
  access: Access
}

/**
 * One route file: registers its routes on `app` (its own encapsulated fastify scope, so hooks
 * and content-type parsers it adds stay inside). Add it to ROUTES in `src/api/routes/index.ts`.
 */
export type ApiRoute = (app: FastifyInstance, deps: ApiDeps) => void | Promise<void>

/** The disk the node writes to is full (ENOSPC from a write anywhere): 507. */
export class StorageFullError extends PaipError {
  static name = 'StorageFullError'
  name = 'StorageFullError'
  constructor (options?: ErrorOptions) { super('the node\'s disk is full: nothing was stored (ask its admin to free space)', 'no-space', undefined, options) }
}

export interface ApiServerInit {
  /** Reads need a token too. */
  private?: boolean
  /** Largest JSON body, in bytes. */
  bodyLimit?: number
  /** Origins allowed to call the API from a web page (CORS): `*` any, or exact origins; default none. */
  corsOrigins?: readonly string[]
  /** Default: every route file in ROUTES. */
  routes?: readonly ApiRoute[]
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
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema)
}

export type ApiServer = FastifyInstance

/**
 * The node's HTTP API: every route file registered from one list, one error handler mapping
 * PaipError kinds to statuses with the body `{ error: { name, kind, message, details } }`.
 * `application/octet-stream` and `application/x-tar` bodies are not parsed: `request.body` is the raw stream
 * (routes that take uploads set their own limit).
 */
export async function createApiServer (components: NodeComponents, init: ApiServerInit = {}): Promise<ApiServer> {
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
  if (init.onRequest != null) app.addHook('onRequest', init.onRequest)
  // before the routes: it collects every route's own schema into the OpenAPI document
  await app.register(swagger, { openapi: OPENAPI_INFO })
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const deps: ApiDeps = { components, access }
  for (const route of init.routes ?? ROUTES) {
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

function errorBody (name: string, kind: ErrorKind, message: string, details?: unknown): ErrorBody {
  return { error: { name, kind, message, ...(details === undefined ? {} : { details }) } }
}

/** The one place errors become HTTP answers. */
export function errorResponse (err: any): { status: number, body: ErrorBody } {
  if (!isPaipError(err) && isNoSpace(err)) err = new StorageFullError({ cause: err })
  if (isPaipError(err)) {
    return { status: KIND_STATUS[err.kind] ?? 500, body: errorBody(err.name, err.kind, err.message, err.details) }
  }
  if (err instanceof URIError) {
    return { status: 400, body: errorBody('InvalidRequestError', 'invalid-input', `malformed percent-encoding in the URL: ${err.message}`) }
  }
  if (Array.isArray(err?.validation)) {
    return { status: 400, body: errorBody('InvalidRequestError', 'invalid-input', err.message, { problems: err.validation }) }
  }
  const status = typeof err?.statusCode === 'number' ? err.statusCode : 500
  if (status === 413) return { status, body: errorBody('BodyTooLargeError', 'too-large', err.message) }
  if (status === 415) return { status, body: errorBody('UnsupportedMediaTypeError', 'invalid-input', err.message) }
  if (status >= 400 && status < 500) return { status, body: errorBody('InvalidRequestError', 'invalid-input', err.message) }
  if (status === 503) return { status, body: errorBody('UnavailableError', 'unavailable', err.message ?? 'the node is shutting down') }
  return { status: 500, body: errorBody('InternalError', 'internal', 'internal error (see the node\'s log)') }
}

/** True when the error, or one it was caused by, is the disk being full. */
export function isNoSpace (err: any): boolean {
  for (let e = err, depth = 0; e != null && depth < 8; e = e.cause, depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || /no space left on device/i.test(String(e.message ?? ''))) return true
  }
  return false
}
