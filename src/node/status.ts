import { listPeers } from './peers.js'
import type { NodeComponents } from './components.js'
import type { RuntimeInfo } from '../jobs/index.js'

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

export async function healthStatus (components: Pick<NodeComponents, 'host' | 'startedAt' | 'version'> & { jobs?: Pick<NodeComponents['jobs'], 'runtimes'> }): Promise<HealthStatus> {
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

export { listPeers }
