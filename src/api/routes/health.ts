import { healthStatus } from '../../node/status.js'
import type { ApiRoute } from '../server.js'

/** Seed 002's health check: no token needed, 200 while the node is up. */
export const healthRoutes: ApiRoute = (app, { components }) => {
  app.get('/health-check', async () => healthStatus(components))
}
