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
import type { AlgorithmRouteComponents } from './algorithms.js'
import type { DataRouteComponents } from './data.js'
import type { CatalogRouteComponents } from './datasets.js'
import type { HealthRouteComponents } from './health.js'
import type { JobRouteComponents } from './jobs.js'
import type { NodeRouteComponents } from './node.js'
import type { OpenpaiRouteComponents } from './openpai.js'
import type { OpenpaiBlobRouteComponents } from './openpai-blobs.js'
import type { RepoRouteComponents } from './repo.js'
import type { UserRouteComponents } from './users.js'
import type { ApiServerComponents } from '../server.js'
import type { ApiRoute } from '../route.js'
import type { Fed } from '../../fed/index.js'

/**
 * Everything the API's route groups use together: the node passes its components, which have
 * all of these (the compiler checks it where the node calls createApiServer).
 */
export type ApiComponents = ApiServerComponents & HealthRouteComponents & NodeRouteComponents &
  CatalogRouteComponents & RepoRouteComponents & UserRouteComponents & JobRouteComponents &
  DataRouteComponents & AlgorithmRouteComponents & OpenpaiRouteComponents & OpenpaiBlobRouteComponents &
  { fed: Fed }

/**
 * Every route group of the API. ADD A ROUTE FILE: `src/api/routes/<resource>.ts` exporting an
 * `ApiRoute<{ the components it uses }>`, one line here, and its components in ApiComponents.
 */
export const ROUTES: ReadonlyArray<ApiRoute<ApiComponents>> = [
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
