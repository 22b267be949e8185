import { NoIsolationError, JobResourcesError } from '../errors.js'
import type { CgroupMode } from './cgroup.js'
import type { JobLimits, NetworkMode, RuntimeName, RuntimeSetting } from './types.js'
import type { RunnableProtocol } from '../runnable.js'
import type { Submitter } from '../types.js'

const ORDER: Record<NetworkMode, number> = { none: 0, grid: 1, host: 2 }

/** What the node has and offers jobs: the settings, and what was found at start. */
export interface RuntimeState {
  setting: RuntimeSetting
  network: NetworkMode
  maxMemoryMB: number
  maxPids: number
  cpus: number
  gpus: number
  bwrap?: string
  engine?: string
  engineProblem?: string
  cgroups: CgroupMode
}

export function num (r: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = r?.[key]
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined
}

/** The network a protocol asks for (`extras.paip.network`); it only ever narrows the node's. */
function askedNetwork (protocol: RunnableProtocol): NetworkMode | undefined {
  const extras = (protocol.doc as any)?.extras
  const asked = extras?.paip?.network
  return typeof asked === 'string' && (asked in ORDER) ? asked as NetworkMode : undefined
}

/** What the operator should install or set, when jobs of other users are refused. */
export function problemOf (s: RuntimeState): string | undefined {
  if (s.setting === 'sandbox' && s.bwrap == null) return 'jobs.runtime is sandbox but bwrap was not found: install bubblewrap (apt-get install bubblewrap)'
  if (s.setting === 'container' && s.engine == null) return `jobs.runtime is container but no container engine works here${s.engineProblem == null ? '' : ` (${s.engineProblem})`}: install podman or docker, or set jobs.container.engine`
  if (s.setting === 'auto' && s.bwrap == null && s.engine == null) return 'no isolation for jobs: install bubblewrap (apt-get install bubblewrap) or a container engine (podman, docker); until then only the admin may run jobs'
  return undefined
}

/** JobResourcesError when a task role asks for more than the node has. */
function checkResources (s: RuntimeState, protocol: RunnableProtocol): void {
  const short: string[] = []
  for (const role of protocol.taskRoles) {
    const r = role.resourcePerInstance
    const want = { gpu: num(r, 'gpu') ?? 0, cpu: num(r, 'cpu') ?? 0, memoryMB: num(r, 'memoryMB') ?? 0 }
    if (want.gpu > s.gpus) short.push(`task role ${role.name} asks for ${want.gpu} GPU(s), this node has ${s.gpus}`)
    if (want.cpu > s.cpus) short.push(`task role ${role.name} asks for ${want.cpu} CPUs, this node offers ${s.cpus}`)
    if (want.memoryMB > s.maxMemoryMB) short.push(`task role ${role.name} asks for ${want.memoryMB} MB of memory, this node offers at most ${s.maxMemoryMB} MB`)
  }
  if (short.length > 0) throw new JobResourcesError(`this node cannot run the job: ${short.join('; ')}`, { problems: short })
}

/** The runtime of a job: the setting's, or (auto) a container when every role names an image, else the sandbox. */
function runtimeOf (s: RuntimeState, protocol: RunnableProtocol, admin: boolean): RuntimeName {
  const images = protocol.taskRoles.every(r => r.dockerImage != null)
  let runtime: RuntimeName | undefined
  if (s.setting === 'process') runtime = 'process'
  else if (s.setting === 'container') runtime = s.engine != null ? 'container' : undefined
  else if (s.setting === 'sandbox') runtime = s.bwrap != null ? 'sandbox' : undefined
  else runtime = s.engine != null && images ? 'container' : s.bwrap != null ? 'sandbox' : undefined
  if (runtime != null) return runtime
  if (!admin) throw new NoIsolationError(`this node cannot isolate jobs, so it runs only its admin's: ${problemOf(s) ?? 'no runtime'}`)
  return 'process'
}

/**
 * The runtime and limits of a job, or an error: NoIsolationError (nothing isolates jobs here
 * and the submitter is not the admin), JobResourcesError (a task role asks for more than the
 * node has).
 */
export function chooseRuntime (s: RuntimeState, protocol: RunnableProtocol, submitter: Submitter & { admin: boolean }): { runtime: RuntimeName, limits: JobLimits } {
  checkResources(s, protocol)
  const asked = askedNetwork(protocol)
  const net = asked != null && ORDER[asked] < ORDER[s.network] ? asked : s.network
  const mem = Math.max(...protocol.taskRoles.map(r => num(r.resourcePerInstance, 'memoryMB') ?? s.maxMemoryMB))
  const cpu = Math.max(...protocol.taskRoles.map(r => num(r.resourcePerInstance, 'cpu') ?? 0))
  const runtime = runtimeOf(s, protocol, submitter.admin)
  const enforcedBy = runtime === 'process' ? 'none' : runtime === 'container' ? 'engine' : s.cgroups === 'none' ? 'rlimit' : `cgroup ${s.cgroups}`
  return { runtime, limits: { memoryMB: Math.min(mem, s.maxMemoryMB), cpu: Math.min(cpu, s.cpus), pids: s.maxPids, network: net, enforcedBy } }
}
