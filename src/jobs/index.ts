import { paipLogger } from '../logger.js'
import { createRouting } from '../net/routing.js'
import { createAccessCheck } from './access.js'
import * as C from './constants.js'
import { createDispatcher } from './dispatch.js'
import { InvalidJobError, JobNotFoundError } from './errors.js'
import { createLocalJobs } from './queue.js'
import { localError, mapRemote } from './remote-errors.js'
import { createRuntimes } from './runtime/index.js'
import { jobsClient, serveJobs, unserveJobs } from './wire.js'
import type { JobAccessInit, UserRoles } from './access.js'
import type { Dispatched, RunRequest } from './dispatch.js'
import type { Accepted, LocalJobs } from './queue.js'
import type { JobsDb } from './store.js'
import type { ContentResolver, Job, JobOutput, JobState, JobSubmission, Submitter } from './types.js'
import type { JobsClient, Offer } from './wire.js'
import type { RuntimeInfo, RuntimesInit } from './runtime/index.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, Startable } from '@libp2p/interface'

export * from './types.js'
export * from './errors.js'
export { JOBS_PROTOCOL, JOB_DATA_PROTOCOL, EVAL_NAMESPACE } from './constants.js'
export { jobCid } from './dispatch.js'
export { createAccessCheck, RUN_ROLE } from './access.js'
export type { JobAccessInit, UserRoles } from './access.js'
export type { Accepted } from './queue.js'
export type { Dispatched, RunRequest } from './dispatch.js'
export type { Offer } from './wire.js'
export type { RuntimeInfo, RuntimeSetting, RuntimeName, NetworkMode, JobLimits } from './runtime/index.js'
export type { JobsDb } from './store.js'

export interface JobsComponents {
  /** A sublevel of the node's database for jobs (e.g. `sublevel(db, 'jobs')`). */
  db: JobsDb
  /** Where job outputs are stored. */
  blobs: BlobStore
  /** The datasets this node holds (and, with `findHolders`, who else holds one). */
  datasets: ContentResolver
  /** The models this node holds (given to jobs, e.g. evaluations). */
  models?: ContentResolver
  /** The node's libp2p host: dispatch, remote follow, evaluation records. */
  libp2p?: Libp2p<any>
  /** The node's announce-and-discover service (jobs are announced and located through it); default: one on `libp2p`. */
  routing?: Routing
  /** This node's peer ID when there is no libp2p host (single-node use, tests). */
  peerId?: string
  /** The node's users, for the `run` role. */
  users?: UserRoles
  /**
   * Whether something other than jobs (e.g. the catalog) still uses a blob: outputs removed
   * because their dataset or model was deleted are kept while it does (blobs are shared by
   * content). Without it, such outputs are always deleted.
   */
  blobInUse?: (cid: string) => Promise<boolean>
  /** Loads a published protocol by reference (for `paip run <ref>`): an adapter over the marketplace. */
  protocols?: ProtocolSource
  logger?: ComponentLogger
}

/** Where `run` finds a published protocol's text (e.g. marketplace pull + readFile). */
export interface ProtocolSource {
  load: (ref: string, options?: AbortOptions) => Promise<string>
}

/** The runtime options (where jobs run, their network and limits) are `createRuntimes`'s own. */
export interface JobsInit extends Pick<RuntimesInit, 'runtime' | 'bwrap' | 'engine' | 'network' | 'maxMemoryMB' | 'maxPids' | 'gpus' | 'cpus'> {
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
  /** How long dispatch waits for candidates' offers (ms). */
  offerTimeout?: number
  /** Serve `/paip/jobs/1.0.0` and `/paip/job-data/1.0.0` (default true when libp2p is given). */
  serve?: boolean
}

export interface ListOptions extends AbortOptions {
  state?: JobState
  limit?: number
}

export interface LogOptions extends AbortOptions {
  follow?: boolean
  offset?: number
}

/** A job's status, as `list` shows it (its `node` says where it runs). */
export type ListedJob = Job

export interface Jobs extends Startable {
  /** This node's peer ID. */
  readonly self: string
  /** Accepts a job to run on this node (checks, persists, then answers). */
  submit: (submission: JobSubmission, submitter: Submitter, options?: AbortOptions) => Promise<Accepted>
  /** Picks a node (one holding the dataset with a free slot, or `req.node`) and submits there. */
  run: (req: RunRequest, options?: AbortOptions & { choose?: (offers: Offer[]) => Offer | undefined }) => Promise<Dispatched>
  /** Offers of the nodes holding a dataset (and this node). */
  offers: (dataset?: string, model?: string, options?: AbortOptions) => Promise<Offer[]>
  /** Where a job runs (a peer ID); JobNotFoundError when no node could be found. */
  locate: (id: string, options?: AbortOptions) => Promise<string>
  status: (id: string, options?: AbortOptions) => Promise<Job>
  /** This node's jobs and the jobs it sent elsewhere (their latest status), newest first. */
  list: (options?: ListOptions) => Promise<ListedJob[]>
  cancel: (id: string, by?: Submitter, options?: AbortOptions) => Promise<Job>
  logs: (id: string, options?: LogOptions) => AsyncGenerator<Uint8Array>
  results: (id: string, options?: AbortOptions) => Promise<JobOutput[]>
  /** The bytes of one output of a job (the CID must be one of its outputs). */
  output: (id: string, cid: string, options?: AbortOptions) => AsyncGenerator<Uint8Array>
  /** The runtimes found on this node and the one jobs get (for `paip status`). */
  runtimes: () => RuntimeInfo
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
  const libp2p = components.libp2p
  const self = libp2p?.peerId.toString() ?? components.peerId
  if (self == null) throw new Error('createJobs needs libp2p or peerId')
  const canRun = createAccessCheck(self, init.allow, components.users)
  const runtimes = createRuntimes({
    dir: init.dir,
    ...(init.runtime == null ? {} : { runtime: init.runtime }),
    ...(init.bwrap == null ? {} : { bwrap: init.bwrap }),
    ...(init.engine == null ? {} : { engine: init.engine }),
    ...(init.network == null ? {} : { network: init.network }),
    ...(init.maxMemoryMB == null ? {} : { maxMemoryMB: init.maxMemoryMB }),
    ...(init.maxPids == null ? {} : { maxPids: init.maxPids }),
    ...(init.gpus == null ? {} : { gpus: init.gpus }),
    ...(init.cpus == null ? {} : { cpus: init.cpus }),
    ...(init.env?.PATH == null ? {} : { path: init.env.PATH })
  })
  const local = createLocalJobs({
    runtimes,
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
    log,
    ...(components.blobInUse == null ? {} : { blobInUse: components.blobInUse })
  })
  const client = libp2p == null ? undefined : jobsClient(libp2p)
  const routing = components.routing ?? (libp2p == null ? undefined : createRouting({ host: libp2p, logger: components.logger ?? paipLogger() }))
  const dispatcher = createDispatcher({
    self,
    local,
    client,
    routing,
    db: components.db,
    datasets: components.datasets,
    models: components.models,
    log,
    offerTimeout: init.offerTimeout ?? C.OFFER_TIMEOUT
  })
  const serve = libp2p != null && init.serve !== false
  let serving = false

  /** Runs `here` when this node runs the job, else `there` with the peer that does. */
  async function route<T> (id: string, options: AbortOptions | undefined, here: () => Promise<T>, there: (peer: string) => Promise<T>): Promise<T> {
    const peer = await dispatcher.locate(id, options)
    if (peer === self) return await here()
    if (client == null) throw new JobNotFoundError(id)
    return await mapRemote(there(peer))
  }

  async function localJob (id: string): Promise<Job> {
    const job = await local.get(id)
    if (job == null) throw new JobNotFoundError(id)
    return job
  }

  async function status (id: string, options?: AbortOptions): Promise<Job> {
    return await route(id, options, async () => await localJob(id), async peer => await (client as JobsClient).status(peer, id, options))
  }

  return {
    self,
    events: local.events,
    async start () {
      await local.start()
      if (serve && libp2p != null) {
        await serveJobs({ libp2p, local, blobs: components.blobs, datasets: components.datasets, models: components.models, onAccepted: job => { dispatcher.announce(job.id) } })
        serving = true
      }
    },
    async stop () {
      if (serving && libp2p != null) { await unserveJobs(libp2p).catch(() => {}); serving = false }
      await local.stop()
    },
    submit: local.accept,
    async run (req, options) {
      const { protocolRef, ...rest } = req
      if ((rest.protocol == null || rest.protocol === '') && protocolRef != null) {
        if (components.protocols == null) throw new InvalidJobError(`cannot load the published protocol ${protocolRef}: this node has no marketplace`)
        rest.protocol = await components.protocols.load(protocolRef, options)
      }
      return await dispatcher.dispatch(rest, options)
    },
    async offers (dataset, model, options) { return await dispatcher.offers(dataset, model, options) },
    locate: dispatcher.locate,
    status,
    async list (options = {}) {
      const limit = Math.min(options.limit ?? C.LIST_LIMIT, C.LIST_LIMIT)
      const mine: ListedJob[] = await local.list({ state: options.state, limit })
      if (client == null) return mine
      const sent = await dispatcher.sent(Math.min(limit, C.REMOTE_LIST_LIMIT))
      const remote = await Promise.all(sent.map(async ({ id, peer }): Promise<ListedJob | undefined> => {
        try {
          return await client.status(peer, id, { signal: AbortSignal.timeout(init.offerTimeout ?? C.OFFER_TIMEOUT) })
        } catch {
          return undefined
        }
      }))
      const all = [...mine, ...remote.filter((j): j is ListedJob => j != null && (options.state == null || j.state === options.state))]
      return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit)
    },
    async cancel (id, by, options) {
      return await route(id, options,
        async () => await local.cancel(id, by?.user ?? by?.peer ?? self),
        async peer => await (client as any).cancel(peer, id, by?.user, options))
    },
    async * logs (id, options = {}) {
      const peer = await dispatcher.locate(id, options)
      if (peer === self) {
        yield * local.logs(id, options)
        return
      }
      if (client == null) throw new JobNotFoundError(id)
      try {
        yield * client.logs(peer, id, options)
      } catch (err) {
        throw localError(err)
      }
    },
    async results (id, options) {
      return (await status(id, options)).outputs
    },
    async * output (id, cid, options) {
      const peer = await dispatcher.locate(id, options)
      if (peer === self) {
        const job = await localJob(id)
        if (!job.outputs.some(o => o.cid === cid)) throw new JobNotFoundError(`${id} output ${cid}`)
        yield * components.blobs.get(cid, options)
        return
      }
      if (client == null) throw new JobNotFoundError(id)
      yield * client.output(peer, id, cid, options)
    },
    load: local.load,
    runtimes: runtimes.info,
    contentDeleted: local.contentDeleted
  }
}
