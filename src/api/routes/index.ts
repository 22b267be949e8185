import { healthRoutes } from './health.js'
import { nodeRoutes } from './node.js'
import type { ApiRoute } from '../server.js'

/**
 * Every route file of the API. ADD A ROUTE FILE: `src/api/routes/<resource>.ts` exporting an
 * `ApiRoute`, and one line here.
 */
export const ROUTES: readonly ApiRoute[] = [
  healthRoutes,
  nodeRoutes
]
