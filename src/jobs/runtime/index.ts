import os from 'node:os'
import * as C from '../constants.js'
import { NoIsolationError } from '../errors.js'
import { chooseRuntime, num, problemOf } from './choose.js'
import { detectCgroups } from './cgroup.js'
import { createContainerRuntime } from './container.js'
import { createProcessRuntime } from './process.js'
import { findEngine, which } from './detect.js'
import { createSandboxRuntime } from './sandbox.js'
import type { RuntimeState } from './choose.js'
import type { CgroupMode } from './cgroup.js'
import type { JobLimits, NetworkMode, Runtime, RuntimeName, RuntimeSetting } from './types.js'
import type { RunnableProtocol, TaskRole } from '../runnable.js'
import type { Submitter } from '../types.js'

export * from './types.js'
export { SANDBOX_PATHS } from './sandbox.js'
export { extraMounts } from './extras.js'

/**
 * The node's runtimes: which exist here (bwrap, a container engine, control groups), which one
 * each job gets, and the limits it runs under.
 */

export interface RuntimesInit {
  /** `auto` (default), `container`, `sandbox` or `process`. */
  runtime?: RuntimeSetting
  /** bwrap executable (default: `bwrap` on PATH). */
  bwrap?: string
  /** Container engine command (default: `docker`, then `podman` on PATH). */
  engine?: string
  /** Network jobs may reach (default none). */
  network?: NetworkMode
  /** Most memory one instance may have, in MB (default: the machine's memory). */
  maxMemoryMB?: number
  /** Most processes of one instance (default 1024). */
  maxPids?: number
  /** GPUs this node offers to jobs (default 0). */
  gpus?: number
  /** CPU cores this node offers to one instance (default: the machine's). */
  cpus?: number
  /** Directory of this node's jobs (names control groups, holds container files). */
  dir: string
  /** The node's PATH, where engines and bwrap are looked for. */
  path?: string
}

export interface RuntimeInfo {
  /** Why the container engine found is not used. */
  engineProblem?: string
  /** The configured setting. */
  setting: RuntimeSetting
  /** What a job without an image gets (`auto`: sandbox, else none for non-admins). */
  default: RuntimeName | 'none'
  sandbox?: string
  container?: string
  cgroups: CgroupMode
  network: NetworkMode
  maxMemoryMB: number
  maxPids: number
  cpus: number
  gpus: number
  /** What the operator should install or set, when jobs of other users are refused. */
  problem?: string
}

export interface Runtimes {
  /** Finds bwrap, the engine and control groups (once, at start). */
  start: () => Promise<void>
  info: () => RuntimeInfo
  /**
   * The runtime and limits of a job, or an error: NoIsolationError (nothing isolates jobs here
   * and the submitter is not the admin), JobResourcesError (a task role asks for more than the
   * node has).
   */
  choose: (protocol: RunnableProtocol, submitter: Submitter & { admin: boolean }) => Promise<{ runtime: RuntimeName, limits: JobLimits }>
  /** Waits until the container engine was asked whether it works (it is asked once, at start). */
  ready: () => Promise<void>
  /** The limits of one task role's instances under a job's limits. */
  roleLimits: (role: TaskRole, job: JobLimits) => JobLimits
  get: (name: RuntimeName) => Runtime
  /** Kills what a job left running (after a crash), in every runtime. */
  cleanup: (jobId: string) => Promise<void>
}

export function createRuntimes (init: RuntimesInit): Runtimes {
  const s: RuntimeState = {
    setting: init.runtime ?? C.RUNTIME,
    network: init.network ?? C.NETWORK,
    maxMemoryMB: init.maxMemoryMB != null && init.maxMemoryMB > 0 ? init.maxMemoryMB : Math.floor(os.totalmem() / 1024 / 1024),
    maxPids: init.maxPids ?? C.MAX_PIDS,
    cpus: init.cpus != null && init.cpus > 0 ? init.cpus : os.availableParallelism(),
    gpus: init.gpus ?? 0,
    cgroups: 'none'
  }
  const made = new Map<RuntimeName, Runtime>()
  let started = false
  let probing: Promise<void> = Promise.resolve()

  function info (): RuntimeInfo {
    const p = problemOf(s)
    const def: RuntimeName | 'none' = s.setting === 'process'
      ? 'process'
      : s.setting === 'container' ? (s.engine == null ? 'none' : 'container') : (s.bwrap != null ? 'sandbox' : 'none')
    return {
      setting: s.setting,
      default: def,
      ...(s.bwrap == null ? {} : { sandbox: s.bwrap }),
      ...(s.engine == null ? {} : { container: s.engine }),
      cgroups: s.cgroups,
      ...(s.engineProblem == null || s.engine != null ? {} : { engineProblem: s.engineProblem }),
      network: s.network,
      maxMemoryMB: s.maxMemoryMB,
      maxPids: s.maxPids,
      cpus: s.cpus,
      gpus: s.gpus,
      ...(p == null ? {} : { problem: p })
    }
  }

  function make (name: RuntimeName): Runtime {
    if (name === 'sandbox') {
      if (s.bwrap == null) throw new NoIsolationError('bwrap is not installed on this node')
      return createSandboxRuntime({ bwrap: s.bwrap, cgroups: s.cgroups, dir: init.dir })
    }
    if (name === 'container') {
      if (s.engine == null) throw new NoIsolationError('no container engine on this node')
      return createContainerRuntime({ engine: s.engine, dir: init.dir })
    }
    return createProcessRuntime()
  }

  function get (name: RuntimeName): Runtime {
    let runtime = made.get(name)
    if (runtime == null) { runtime = make(name); made.set(name, runtime) }
    return runtime
  }

  return {
    async start () {
      if (started) return
      const dirs = init.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'
      s.bwrap = await which(init.bwrap ?? C.BWRAP, dirs)
      s.cgroups = await detectCgroups()
      // an engine on PATH may not answer (a docker CLI without its daemon): ask it, without holding up the start
      const candidates = init.engine != null && init.engine !== '' ? [init.engine] : ['docker', 'podman']
      probing = findEngine(candidates, dirs, init.dir).then(found => {
        s.engine = found.engine
        s.engineProblem = found.problem
      })
      started = true
    },
    async ready () { await probing },
    info,
    get,
    roleLimits (role, job) {
      const r = role.resourcePerInstance
      return { ...job, memoryMB: Math.min(num(r, 'memoryMB') ?? job.memoryMB, s.maxMemoryMB), cpu: Math.min(num(r, 'cpu') ?? job.cpu, s.cpus) }
    },
    async choose (protocol, submitter) {
      if (s.setting === 'auto' || s.setting === 'container') await probing
      return chooseRuntime(s, protocol, submitter)
    },
    async cleanup (jobId) {
      await probing
      if (s.bwrap != null) await get('sandbox').cleanup?.(jobId).catch(() => {})
      if (s.engine != null) await get('container').cleanup?.(jobId).catch(() => {})
    }
  }
}
