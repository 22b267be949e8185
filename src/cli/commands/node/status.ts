import { apiFromContext } from '../../api.js'
import type { ApiClient } from '../../../api/client.js'
import type { HealthStatus } from '../../../node/status.js'
import type { Command } from 'commander'
import type { Action } from '../../program.js'

export interface NodeStatus extends HealthStatus {
  url: string
}

/** The node part of `paip status` (other parts, e.g. the repository's, combine with it). */
export async function fetchNodeStatus (api: ApiClient, signal?: AbortSignal): Promise<NodeStatus> {
  const health = await api.get<HealthStatus>('/health-check', { signal })
  return { ...health, url: api.url }
}

/** Lines for people describing a node status. */
export function nodeStatusText (status: NodeStatus): string[] {
  return [
    `node:          ${status['node-id']} (paip ${status.version})`,
    `API:           ${status.url}`,
    `uptime:        ${formatUptime(status.uptime)}`,
    `peers:         ${status.peers} connected, ${status['routing-table']} in the routing table`,
    ...status['node-addresses'].map((a, i) => `${i === 0 ? 'addresses:' : '          '}     ${a}`)
  ]
}

function formatUptime (seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const m = Math.floor(seconds / 60)
  if (m < 60) return `${m} min ${Math.floor(seconds % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

export function registerStatus (program: Command, action: Action): void {
  program
    .command('status')
    .description('show whether the node is up: its ID, uptime, peers and addresses')
    .addHelpText('after', '\nExample:\n  $ paip status --api http://127.0.0.1:9292')
    .action(action(async ctx => {
      const status = await fetchNodeStatus(await apiFromContext(ctx), ctx.signal)
      return { data: { node: status }, text: nodeStatusText(status) }
    }))
}
