import { PaipError } from '../../errors.js'
import type { Jobs, RuntimeInfo } from '../../jobs/index.js'
import type { Host } from '../../net/host.js'
import type { ApiRoute } from '../route.js'

/** What the health check reads. */
export interface HealthRouteComponents {
  host: Host
  /** When the node started (ms since the epoch). */
  startedAt: number
  version: string
  /** Where jobs run, when the node runs jobs. */
  jobs?: Pick<Jobs, 'runtimes'>
}

/** What `GET /health-check` and `paip status` report about a node (seed 002). */
export interface HealthStatus {
  status: 'ok'
  'node-id': string
  'node-addresses': string[]
  /** Seconds since the node started. */
  uptime: number
  /** Connected peers. */
  peers: number
  'peer-ids': string[]
  'routing-table': number
  version: string
  /** Where this node runs jobs: the runtimes found, the one jobs get, and what to install when none isolates. */
  jobs?: { runtime: RuntimeInfo }
}

export async function healthStatus (components: HealthRouteComponents): Promise<HealthStatus> {
  const { host } = components
  const peerIds = host.getPeers().map(p => p.toString()).sort()
  return {
    status: 'ok',
    'node-id': host.peerId.toString(),
    'node-addresses': host.getMultiaddrs().map(a => a.toString()),
    uptime: Math.round((Date.now() - components.startedAt) / 100) / 10,
    peers: peerIds.length,
    'peer-ids': peerIds,
    'routing-table': host.services.dht.routingTable.size,
    version: components.version,
    ...(components.jobs?.runtimes == null ? {} : { jobs: { runtime: components.jobs.runtimes() } })
  }
}

/** Seed 002's health check: no token needed; 200 while the node runs, 503 otherwise. */
export const healthRoutes: ApiRoute<HealthRouteComponents> = (app, { components }) => {
  app.get('/health-check', async () => {
    if (components.host.status !== 'started') throw new PaipError(`the node is ${components.host.status}`, 'unavailable')
    return healthStatus(components)
  })
}
