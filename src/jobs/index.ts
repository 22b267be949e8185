import { paipLogger } from '../logger.js'
import { createAccessCheck } from './access.js'
import * as C from './constants.js'
import { JobNotFoundError } from './errors.js'
import { createLocalJobs } from './queue.js'
import type { JobAccessInit, UserRoles } from './access.js'
import type { Accepted, LocalJobs } from './queue.js'
import type { JobsDb } from './store.js'
import type { ContentResolver, Job, JobOutput, JobState, JobSubmission, Submitter } from './types.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, Startable } from '@libp2p/interface'

export * from './types.js'
export * from './errors.js'
export * as JOB_DEFAULTS from './constants.js'
export { JOBS_PROTOCOL, JOB_DATA_PROTOCOL, EVAL_NAMESPACE } from './constants.js'
export type { JobAccessInit, UserRoles } from './access.js'
export type { Accepted } from './queue.js'
export type { JobsDb } from './store.js'

export interface JobsComponents {
  /** A sublevel of the node's database for jobs (e.g. `db.sublevel('jobs')`). */
  db: JobsDb
  /** Where job outputs are stored. */
  blobs: BlobStore
  /** The datasets this node holds (and, with `findHolders`, who else holds one). */
  datasets: ContentResolver
  /** The models this node holds (given to jobs, e.g. evaluations). */
  models?: ContentResolver
  /** The node's libp2p host: dispatch, remote follow, evaluation records. */
  libp2p?: Libp2p<any>
  /** This node's peer ID when there is no libp2p host (single-node use, tests). */
  peerId?: string
  /** The node's users, for the `run` role. */
  users?: UserRoles
  logger?: ComponentLogger
}

export interface JobsInit {
  /** Directory for working directories and logs (e.g. `<home>/jobs`). */
  dir: string
  /** Jobs run at the same time (default 2). */
  slots?: number
  /** Longest a job may run, in ms (default 1 hour). */
  timeLimit?: number
  /** Most bytes a job may print before it is stopped (default 16 MiB). */
  maxLogBytes?: number
  /** Most bytes of output files collected per job (default 1 GiB). */
  maxOutputBytes?: number
  maxOutputFiles?: number
  /** Who may run jobs here (default: this node's own users only). */
  allow?: JobAccessInit
  /** The node's environment: only PATH, LANG and TZ reach jobs. */
  env?: Record<string, string | undefined>
}

export interface ListOptions extends AbortOptions {
  state?: JobState
  limit?: number
}

export interface LogOptions extends AbortOptions {
  follow?: boolean
  offset?: number
}

export interface Jobs extends Startable {
  /** This node's peer ID. */
  readonly self: string
  /** Accepts a job to run on this node (checks, persists, then answers). */
  submit: (submission: JobSubmission, submitter: Submitter, options?: AbortOptions) => Promise<Accepted>
  status: (id: string, options?: AbortOptions) => Promise<Job>
  list: (options?: ListOptions) => Promise<Job[]>
  cancel: (id: string, by?: Submitter, options?: AbortOptions) => Promise<Job>
  logs: (id: string, options?: LogOptions) => AsyncGenerator<Uint8Array>
  results: (id: string, options?: AbortOptions) => Promise<JobOutput[]>
  /** The bytes of one output of a job (the CID must be one of its outputs). */
  output: (id: string, cid: string, options?: AbortOptions) => AsyncGenerator<Uint8Array>
  /** Free slots and queue length of this node. */
  load: () => { slots: number, free: number, queued: number }
  /** Called by the catalog when a dataset or model is deleted: stops its jobs, removes their outputs. */
  contentDeleted: (cid: string) => Promise<string[]>
  /** Fires on every state change of a local job, and when a job's first command starts. */
  readonly events: LocalJobs['events']
}

export function createJobs (components: JobsComponents, init: JobsInit): Jobs {
  const logger = components.logger ?? paipLogger()
  const log = logger.forComponent('paip:jobs')
  const self = components.libp2p?.peerId.toString() ?? components.peerId
  if (self == null) throw new Error('createJobs needs libp2p or peerId')
  const canRun = createAccessCheck(self, init.allow, components.users)
  const local = createLocalJobs({
    db: components.db,
    blobs: components.blobs,
    datasets: components.datasets,
    models: components.models,
    canRun,
    self,
    dir: init.dir,
    slots: init.slots ?? C.SLOTS,
    timeLimit: init.timeLimit ?? C.TIME_LIMIT,
    maxLogBytes: init.maxLogBytes ?? C.MAX_LOG_BYTES,
    maxOutputBytes: init.maxOutputBytes ?? C.MAX_OUTPUT_BYTES,
    maxOutputFiles: init.maxOutputFiles ?? C.MAX_OUTPUT_FILES,
    env: init.env ?? {},
    log
  })

  async function localJob (id: string): Promise<Job> {
    const job = await local.get(id)
    if (job == null) throw new JobNotFoundError(id)
    return job
  }

  return {
    self,
    events: local.events,
    async start () { await local.start() },
    async stop () { await local.stop() },
    submit: local.accept,
    async status (id) { return await localJob(id) },
    async list (options = {}) { return await local.list({ state: options.state, limit: options.limit }) },
    async cancel (id, by) { return await local.cancel(id, by?.user ?? by?.peer ?? self) },
    async * logs (id, options = {}) {
      await localJob(id)
      yield * local.logs(id, options)
    },
    async results (id) { return (await localJob(id)).outputs },
    async * output (id, cid, options) {
      const job = await localJob(id)
      if (!job.outputs.some(o => o.cid === cid)) throw new JobNotFoundError(`${id} output ${cid}`)
      yield * components.blobs.get(cid, options)
    },
    load: local.load,
    contentDeleted: local.contentDeleted
  }
}
