import { runScript } from '../process.js'
import type { InstanceInit, InstanceResult, Mounts, Runtime } from './types.js'

/**
 * The process runtime: `/bin/sh -c` as the node's own user, in its own process group, with the
 * whole filesystem in reach. Only for the node's admin, unless the operator sets
 * `jobs.runtime: process` (unsafe: a job can read the node home).
 */
export function createProcessRuntime (): Runtime {
  return {
    name: 'process',
    paths: (m: Mounts) => m,
    async run (i: InstanceInit): Promise<InstanceResult> {
      return await runScript({ script: i.script, cwd: i.mounts.work, env: i.env, onOutput: i.onOutput, signal: i.signal, onSpawn: i.onSpawn })
    }
  }
}
