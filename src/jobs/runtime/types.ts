import type { ScriptResult } from '../process.js'

/** How a job's commands run: in an OCI container, a bubblewrap sandbox, or as plain processes. */
export type RuntimeName = 'container' | 'sandbox' | 'process'
/** The node's choice: `auto` picks container, then sandbox; `process` must be set explicitly. */
export type RuntimeSetting = 'auto' | RuntimeName
/** What network a job reaches: none, the grid's (the container engine's default network), or the host's. */
export type NetworkMode = 'none' | 'grid' | 'host'
export const NETWORK_MODES: readonly NetworkMode[] = ['none', 'grid', 'host']

/** The limits a job runs under (per instance). */
export interface JobLimits {
  /** Memory of one instance (MB). */
  memoryMB: number
  /** CPU cores' worth of time of one instance (0: not limited). */
  cpu: number
  /** Most processes and threads of one instance. */
  pids: number
  network: NetworkMode
  /** How the limits are enforced (`cgroup v1`, `cgroup v2`, `rlimit`, `engine`, `none`). */
  enforcedBy?: string
}

/** The directories a job instance gets (host paths). */
export interface Mounts {
  work: string
  output: string
  dataset?: string
  model?: string
  /** Content mounted read-only where the protocol's extras ask (host path → path in the job). */
  extra?: ExtraMount[]
}

export interface ExtraMount { from: string, to: string }

export interface InstanceInit {
  jobId: string
  script: string
  /** The task's environment (paths as the job sees them). */
  env: Record<string, string>
  mounts: Mounts
  limits: JobLimits
  /** The OCI image (container runtime). */
  image?: string
  /** Registry credentials for the image (container runtime): from the protocol's secrets. */
  auth?: { username?: string, password?: string, registryuri?: string }
  onOutput: (chunk: Uint8Array) => void
  signal: AbortSignal
  onSpawn?: (pid: number) => void | Promise<void>
}

export interface InstanceResult extends ScriptResult {
  /** The instance was killed for going over its memory limit. */
  oom?: boolean
  /** Why the runtime could not start it (e.g. a missing image). */
  problem?: string
}

export interface Runtime {
  readonly name: RuntimeName
  /** Where the job sees its directories. */
  paths: (mounts: Mounts) => Mounts
  run: (init: InstanceInit) => Promise<InstanceResult>
  /** Kills and removes what a job left behind (after the node was killed). */
  cleanup?: (jobId: string) => Promise<void>
}
