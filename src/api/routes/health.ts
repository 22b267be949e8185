import { PaipError } from '../../errors.js'
import { healthStatus } from '../../node/status.js'
import type { ApiRoute } from '../server.js'

/** Seed 002's health check: no token needed; 200 while the node runs, 503 otherwise. */
export const healthRoutes: ApiRoute = (app, { components }) => {
  app.get('/health-check', async () => {
    if (components.host.status !== 'started') throw new PaipError(`the node is ${components.host.status}`, 'unavailable')
    return healthStatus(components)
  })
}
