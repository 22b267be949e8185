import { catalogRoutes } from './datasets.js'
import type { ApiRoute } from '../server.js'

/** `/api/v1/models`: the same routes as datasets, for models. */
export const modelRoutes: ApiRoute = catalogRoutes('model')
