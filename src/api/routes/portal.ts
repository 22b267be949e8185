import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { PaipError } from '../../errors.js'
import type { PeerId } from '@libp2p/interface'
import type { ApiRoute } from '../route.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The portal was not built (`npm run build` builds it into dist/web). */
export class PortalNotBuiltError extends PaipError {
  static name = 'PortalNotBuiltError'
  name = 'PortalNotBuiltError'
  constructor (file: string) { super(`the web portal is not built (no ${file}): run \`npm run build\``, 'unavailable') }
}

/** Where `scripts/build-web.mjs` writes the portal (dist/web, next to dist/src). */
export const PORTAL_DIR = fileURLToPath(new URL('../../../web/', import.meta.url))

interface Asset { type: string, raw: Buffer, gzip: Buffer }

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8'
}

/**
 * Pages see only their own origin: a description or a YAML file from a hostile publisher is
 * rendered as text (never as HTML), and even so no inline or foreign script could run.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"

const cache = new Map<string, Asset>()

function asset (file: string): Asset {
  const known = cache.get(file)
  if (known != null) return known
  let raw: Buffer
  try { raw = readFileSync(PORTAL_DIR + file) } catch { throw new PortalNotBuiltError(`dist/web/${file}`) }
  const built = { type: ASSETS[file], raw, gzip: gzipSync(raw, { level: 9 }) }
  cache.set(file, built)
  return built
}

function send (request: FastifyRequest, reply: FastifyReply, file: string): FastifyReply {
  const a = asset(file)
  void reply.type(a.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding')
  if (file.endsWith('.html')) void reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer')
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(a.gzip)
  return reply.send(a.raw)
}

/**
 * The web portal, same origin as the API (no token needed to load it; the API calls it makes
 * carry the user's token and obey the API's rules):
 * - `GET /`: the page; `GET /app.js`: the whole portal in one script (styles included);
 * - `GET /plugin.js`: the same script for an OpenPAI webportal, which loads it as a plugin: the
 *   custom element `<paip-marketplace api-url="http://node:9292">`.
 */
export const portalRoutes: ApiRoute<{ peerId: PeerId, version: string }> = (app, deps) => portalRoutesFor(() => ({ mode: 'node', peerId: deps.components.peerId.toString(), version: deps.components.version }))(app, deps)

/** What the portal shows itself as: a node's, or `paip serve`'s over a local repository. */
export type PortalInfo = { mode: 'node', peerId: string, version: string } | { mode: 'repository', root: string, version: string }

const portalInfoSchema = {
  summary: 'what the portal talks to: a node, or a read-only local repository (`paip serve`)',
  response: {
    200: {
      type: 'object',
      required: ['mode', 'version'],
      properties: { mode: { type: 'string', enum: ['node', 'repository'] }, peerId: { type: 'string' }, root: { type: 'string' }, version: { type: 'string' } }
    }
  }
}

/** The portal's routes, describing themselves with `info`. */
export const portalRoutesFor = (info: () => PortalInfo): ApiRoute => app => {
  app.get('/api/v1/portal', { schema: portalInfoSchema }, async () => info())
  app.get('/', { schema: { hide: true } }, async (request, reply) => send(request, reply, 'index.html'))
  app.get('/app.js', { schema: { hide: true } }, async (request, reply) => send(request, reply, 'app.js'))
  app.get('/plugin.js', { schema: { hide: true } }, async (request, reply) => {
    // loaded cross-origin by the OpenPAI webportal
    void reply.header('access-control-allow-origin', '*')
    return send(request, reply, 'app.js')
  })
}
