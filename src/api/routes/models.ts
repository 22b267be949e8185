import { catalogRoutes } from './datasets.js'
import type { CatalogRouteComponents } from './datasets.js'
import type { ApiRoute } from '../route.js'

/** `/api/v1/models`: the same routes as datasets, for models. */
export const modelRoutes: ApiRoute<CatalogRouteComponents> = catalogRoutes('model')
