import { algorithmRoutes } from './algorithms.js'
import { dataRoutes } from './data.js'
import { datasetRoutes } from './datasets.js'
import { fedRoutes } from './fed.js'
import { gridSearchRoutes } from './grid-search.js'
import { healthRoutes } from './health.js'
import { jobsRoutes } from './jobs.js'
import { modelRoutes } from './models.js'
import { nodeRoutes } from './node.js'
import { openpaiRoutes } from './openpai.js'
import { openpaiBlobRoutes } from './openpai-blobs.js'
import { validateRoutes } from './validate.js'
import { portalRoutes } from './portal.js'
import { repoRoutes } from './repo.js'
import { userRoutes } from './users.js'
import { userAdminRoutes } from './user-admin.js'
import type { ApiRoute } from '../server.js'

/**
 * Every route file of the API. ADD A ROUTE FILE: `src/api/routes/<resource>.ts` exporting an
 * `ApiRoute`, and one line here.
 */
export const ROUTES: readonly ApiRoute[] = [
  healthRoutes,
  portalRoutes,
  openpaiRoutes,
  openpaiBlobRoutes,
  validateRoutes,
  nodeRoutes,
  datasetRoutes,
  modelRoutes,
  gridSearchRoutes,
  repoRoutes,
  userRoutes,
  userAdminRoutes,
  jobsRoutes,
  dataRoutes,
  algorithmRoutes,
  fedRoutes
]
