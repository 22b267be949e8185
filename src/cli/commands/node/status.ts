import path from 'node:path'
import { NodeNotRunningError } from '../../../api/errors.js'
import { formatRepositoryStatus, repositoryStatus } from '../../../repo/index.js'
import { apiFromContext } from '../../api.js'
import type { ApiClient } from '../../../client/index.js'
import type { HealthStatus } from '../../../api/routes/health.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

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
    ...status['node-addresses'].map((a, i) => `${i === 0 ? 'addresses:' : '          '}     ${a}`),
    ...(status.jobs == null ? [] : runtimeText(status.jobs.runtime))
  ]
}

/** Where the node runs jobs, and what the operator should install when nothing isolates them. */
function runtimeText (r: NonNullable<NodeStatus['jobs']>['runtime']): string[] {
  const found = [r.container == null ? undefined : `container (${r.container})`, r.sandbox == null ? undefined : `sandbox (${r.sandbox})`].filter(Boolean).join(', ')
  const runs = r.default === 'none' ? 'only the admin\'s jobs, as processes' : r.default === 'process' ? 'process (unsafe: jobs run as the node\'s user)' : r.default
  return [
    `jobs run:      ${runs}${r.setting === 'auto' && r.container != null ? '; container for protocols naming images' : ''} (jobs.runtime: ${r.setting})`,
    `runtimes:      ${found === '' ? 'none found' : found}; limits by ${r.cgroups === 'none' ? 'rlimits' : `cgroup ${r.cgroups}`}; network ${r.network}`,
    ...(r.problem == null ? [] : [`warning:       ${r.problem}`])
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
    .description('show the node (ID, uptime, peers, addresses) and, inside a protocol repository, its staged, modified and untracked files')
    .option('-C <dir>', 'look for the repository from this directory instead of the current one')
    .addHelpText('after', '\nExample:\n  $ paip status\n  $ paip status --json --api http://127.0.0.1:9292')
    .action(action(async (ctx, options: { C?: string }) => {
      const repository = await repositoryStatus(path.resolve(ctx.io.cwd, options.C ?? '.'), { signal: ctx.signal })
      let node: NodeStatus | undefined
      try {
        node = await fetchNodeStatus(await apiFromContext(ctx), ctx.signal)
      } catch (err) {
        // inside a repository the node is optional: say it is not running and show the rest
        if (repository == null || !(err instanceof NodeNotRunningError)) throw err
        const text = [`node:          ${err.message}`, '', ...formatRepositoryStatus(repository)]
        return { data: { node: null, nodeError: err.message, repository }, text }
      }
      if (repository == null) return { data: { node }, text: nodeStatusText(node) }
      return { data: { node, repository }, text: [...nodeStatusText(node), '', ...formatRepositoryStatus(repository)] }
    }))
}
