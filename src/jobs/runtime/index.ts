import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as C from '../constants.js'
import { NoIsolationError, JobResourcesError } from '../errors.js'
import { detectCgroups } from './cgroup.js'
import { createContainerRuntime } from './container.js'
import { createProcessRuntime } from './process.js'
import { createSandboxRuntime } from './sandbox.js'
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

const ORDER: Record<NetworkMode, number> = { none: 0, grid: 1, host: 2 }

async function which (name: string, dirs: string): Promise<string | undefined> {
  if (name.includes('/')) {
    try { await fs.access(name, fs.constants.X_OK); return name } catch { return undefined }
  }
  for (const dir of dirs.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name)
    try { await fs.access(file, fs.constants.X_OK); return file } catch {}
  }
  return undefined
}

/** Runs a command, to its end or 20 s: its exit code and the last line it printed. */
async function probe (command: string, args: string[]): Promise<{ code: number, last: string }> {
  return await new Promise(resolve => {
    execFile(command, args, { timeout: 20_000 }, (err: any, stdout, stderr) => {
      const last = `${String(stdout)}\n${String(stderr)}`.trim().split('\n').pop() ?? ''
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : 1, last: last === '' && err != null ? err.message : last })
    })
  })
}

/**
 * Whether a container engine can run containers: `<engine> info` answers (a docker CLI
 * without its daemon does not) and, for podman, a container starts (on a host podman cannot
 * drive, it fails before looking for the command): else the reason.
 */
async function answers (engine: string, dir: string): Promise<true | string> {
  const version = await probe(engine, ['--version'])
  if (version.code !== 0) return version.last
  if (!/podman/i.test(version.last)) {
    const info = await probe(engine, ['info'])
    return info.code === 0 ? true : info.last
  }
  const empty = path.join(dir, 'probe-rootfs')
  await fs.mkdir(empty, { recursive: true })
  const run = await probe(engine, ['run', '--rm', '--network', 'none', '--rootfs', empty, '/paip-probe'])
  return run.code === 127 ? true : `it cannot start a container: ${run.last}`
}

/** Engines asked already (several nodes in one process ask once). */
const asked = new Map<string, Promise<true | string>>()

async function answersOnce (engine: string, dir: string): Promise<true | string> {
  let answer = asked.get(engine)
  if (answer == null) { answer = answers(engine, dir); asked.set(engine, answer) }
  return await answer
}

function num (r: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = r?.[key]
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined
}

/** The network a protocol asks for (`extras.paip.network`); it only ever narrows the node's. */
function askedNetwork (protocol: RunnableProtocol): NetworkMode | undefined {
  const extras = (protocol.doc as any)?.extras
  const asked = extras?.paip?.network
  return typeof asked === 'string' && (asked in ORDER) ? asked as NetworkMode : undefined
}

export function createRuntimes (init: RuntimesInit): Runtimes {
  const setting = init.runtime ?? C.RUNTIME
  const network = init.network ?? C.NETWORK
  const maxMemoryMB = init.maxMemoryMB != null && init.maxMemoryMB > 0 ? init.maxMemoryMB : Math.floor(os.totalmem() / 1024 / 1024)
  const maxPids = init.maxPids ?? C.MAX_PIDS
  const cpus = init.cpus != null && init.cpus > 0 ? init.cpus : os.availableParallelism()
  const gpus = init.gpus ?? 0
  let bwrap: string | undefined
  let engine: string | undefined
  let cgroups: CgroupMode = 'none'
  const made = new Map<RuntimeName, Runtime>()
  let started = false
  let probing: Promise<void> = Promise.resolve()
  let engineProblem: string | undefined

  function problem (): string | undefined {
    if (setting === 'sandbox' && bwrap == null) return 'jobs.runtime is sandbox but bwrap was not found: install bubblewrap (apt-get install bubblewrap)'
    if (setting === 'container' && engine == null) return `jobs.runtime is container but no container engine works here${engineProblem == null ? '' : ` (${engineProblem})`}: install podman or docker, or set jobs.container.engine`
    if (setting === 'auto' && bwrap == null && engine == null) return 'no isolation for jobs: install bubblewrap (apt-get install bubblewrap) or a container engine (podman, docker); until then only the admin may run jobs'
    return undefined
  }

  function info (): RuntimeInfo {
    const p = problem()
    const def: RuntimeName | 'none' = setting === 'process'
      ? 'process'
      : setting === 'container' ? (engine == null ? 'none' : 'container') : (bwrap != null ? 'sandbox' : 'none')
    return {
      setting,
      default: def,
      ...(bwrap == null ? {} : { sandbox: bwrap }),
      ...(engine == null ? {} : { container: engine }),
      cgroups,
      ...(engineProblem == null || engine != null ? {} : { engineProblem }),
      network,
      maxMemoryMB,
      maxPids,
      cpus,
      gpus,
      ...(p == null ? {} : { problem: p })
    }
  }

  function get (name: RuntimeName): Runtime {
    let runtime = made.get(name)
    if (runtime != null) return runtime
    if (name === 'sandbox') {
      if (bwrap == null) throw new NoIsolationError('bwrap is not installed on this node')
      runtime = createSandboxRuntime({ bwrap, cgroups, dir: init.dir })
    } else if (name === 'container') {
      if (engine == null) throw new NoIsolationError('no container engine on this node')
      runtime = createContainerRuntime({ engine, dir: init.dir })
    } else {
      runtime = createProcessRuntime()
    }
    made.set(name, runtime)
    return runtime
  }

  function roleLimits (role: TaskRole, job: JobLimits): JobLimits {
    const r = role.resourcePerInstance
    return {
      ...job,
      memoryMB: Math.min(num(r, 'memoryMB') ?? job.memoryMB, maxMemoryMB),
      cpu: Math.min(num(r, 'cpu') ?? job.cpu, cpus)
    }
  }

  return {
    async start () {
      if (started) return
      const dirs = init.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'
      bwrap = await which(init.bwrap ?? C.BWRAP, dirs)
      cgroups = await detectCgroups()
      // an engine on PATH may not answer (a docker CLI without its daemon): ask it, without holding up the start
      const candidates = init.engine != null && init.engine !== '' ? [init.engine] : ['docker', 'podman']
      probing = (async () => {
        for (const name of candidates) {
          const found = await which(name, dirs)
          if (found == null) continue
          const answer = await answersOnce(found, init.dir)
          if (answer === true) { engine = found; return }
          engineProblem = `${found}: ${answer}`
        }
      })()
      started = true
    },
    async ready () { await probing },
    info,
    get,
    roleLimits,
    async choose (protocol, submitter) {
      if (setting === 'auto' || setting === 'container') await probing
      const short: string[] = []
      for (const role of protocol.taskRoles) {
        const r = role.resourcePerInstance
        const want = { gpu: num(r, 'gpu') ?? 0, cpu: num(r, 'cpu') ?? 0, memoryMB: num(r, 'memoryMB') ?? 0 }
        if (want.gpu > gpus) short.push(`task role ${role.name} asks for ${want.gpu} GPU(s), this node has ${gpus}`)
        if (want.cpu > cpus) short.push(`task role ${role.name} asks for ${want.cpu} CPUs, this node offers ${cpus}`)
        if (want.memoryMB > maxMemoryMB) short.push(`task role ${role.name} asks for ${want.memoryMB} MB of memory, this node offers at most ${maxMemoryMB} MB`)
      }
      if (short.length > 0) throw new JobResourcesError(`this node cannot run the job: ${short.join('; ')}`, { problems: short })
      const asked = askedNetwork(protocol)
      const net = asked != null && ORDER[asked] < ORDER[network] ? asked : network
      const mem = Math.max(...protocol.taskRoles.map(r => num(r.resourcePerInstance, 'memoryMB') ?? maxMemoryMB))
      const cpu = Math.max(...protocol.taskRoles.map(r => num(r.resourcePerInstance, 'cpu') ?? 0))
      const images = protocol.taskRoles.every(r => r.dockerImage != null)
      let runtime: RuntimeName | undefined
      if (setting === 'process') runtime = 'process'
      else if (setting === 'container') runtime = engine != null ? 'container' : undefined
      else if (setting === 'sandbox') runtime = bwrap != null ? 'sandbox' : undefined
      else runtime = engine != null && images ? 'container' : bwrap != null ? 'sandbox' : undefined
      if (runtime == null) {
        if (!submitter.admin) throw new NoIsolationError(`this node cannot isolate jobs, so it runs only its admin's: ${problem() ?? 'no runtime'}`)
        runtime = 'process'
      }
      const enforcedBy = runtime === 'process' ? 'none' : runtime === 'container' ? 'engine' : cgroups === 'none' ? 'rlimit' : `cgroup ${cgroups}`
      return { runtime, limits: { memoryMB: Math.min(mem, maxMemoryMB), cpu: Math.min(cpu, cpus), pids: maxPids, network: net, enforcedBy } }
    },
    async cleanup (jobId) {
      await probing
      if (bwrap != null) await get('sandbox').cleanup?.(jobId).catch(() => {})
      if (engine != null) await get('container').cleanup?.(jobId).catch(() => {})
    }
  }
}
