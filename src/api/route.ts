import type { Access } from './auth.js'
import type { FastifyInstance } from 'fastify'

/**
 * What a route group gets besides the fastify instance: the components it names, and nothing
 * else (so a test or `paip serve` builds only those), and the access checks.
 */
export interface ApiDeps<C = unknown> {
  components: C
  /** preHandlers: `{ onRequest: deps.access.requireWrite }`. */
  access: Access
}

/**
 * One route group (one file in `src/api/routes/`): registers its routes on `app` (its own
 * encapsulated fastify scope, so hooks and content-type parsers it adds stay inside). `C` is
 * the narrow set of components it uses, e.g. `ApiRoute<{ catalog: Catalog }>`.
 */
export type ApiRoute<C = unknown> = (app: FastifyInstance, deps: ApiDeps<C>) => void | Promise<void>
