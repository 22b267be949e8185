import { paipLogger } from '../logger.js'
import { createRouting } from '../net/routing.js'
import { createAccessCheck } from './access.js'
import * as C from './constants.js'
import { createDispatcher } from './dispatch.js'
import { InvalidJobError } from './errors.js'
import { createLocalJobs } from './local.js'
import { createLocatedJobs } from './located.js'
import { createRuntimes } from './runtime/index.js'
import { jobsClient, serveJobs, unserveJobs } from './wire.js'
import type { Accepted } from './accept.js'
import type { JobAccessInit, UserRoles } from './access.js'
import type { Dispatched, RunRequest } from './dispatch.js'
import type { LocalJobs } from './local.js'
import type { LocatedJobs } from './located.js'
import type { JobsDb } from './store.js'
import type { ContentResolver, Job, JobSubmission, ProtocolSource, Submitter } from './types.js'
import type { Offer } from './wire.js'
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
export type { Accepted } from './accept.js'
export type { ListOptions, LogOptions } from './located.js'
export { catalogContent } from './catalog-adapter.js'
export { marketplaceProtocols } from './marketplace-adapter.js'
export type { ProtocolPuller } from './marketplace-adapter.js'
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
  host?: Libp2p<any>
  /** The node's announce-and-discover service (jobs are announced and located through it); default: one on `host`. */
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
  /**
   * Subscribes to deletions of datasets and models (e.g. the catalog's): a deleted one's jobs
   * are stopped and their outputs removed. Returns the unsubscribe function.
   */
  onContentRemoved?: (listener: (cid: string) => Promise<void>) => () => void
  logger?: ComponentLogger
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
  /** Serve `/paip/jobs/1.0.0` and `/paip/job-data/1.0.0` (default true when a host is given). */
  serve?: boolean
}

/** A job's status, as `list` shows it (its `node` says where it runs). */
export type ListedJob = Job

/** A job's status, list, cancel, logs and outputs wherever it runs: `LocatedJobs` (`located.ts`). */
export interface Jobs extends Startable, LocatedJobs {
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
  /** The runtimes found on this node and the one jobs get (for `paip status`). */
  runtimes: () => RuntimeInfo
  /** Free slots and queue length of this node. */
  load: () => { slots: number, free: number, queued: number }
  /** Called by the catalog when a dataset or model is deleted: stops its jobs, removes their outputs. */
  contentDeleted: (cid: string) => Promise<string[]>
  /** Fires on every state change of a local job, and when a job's first command starts. */
  readonly events: LocalJobs['events']
}

/** The runtimes' own options out of the jobs init (only those set). */
function runtimesInit (init: JobsInit): RuntimesInit {
  const keys = ['runtime', 'bwrap', 'engine', 'network', 'maxMemoryMB', 'maxPids', 'gpus', 'cpus'] as const
  const out: RuntimesInit = { dir: init.dir }
  for (const key of keys) if (init[key] != null) (out as any)[key] = init[key]
  if (init.env?.PATH != null) out.path = init.env.PATH
  return out
}

/**
 * The jobs component: this node's own jobs (`local.ts`: accept, queue, attempts), sending jobs
 * to the node that holds their data (`dispatch.ts`), finding a job wherever it runs
 * (`located.ts`) and serving other nodes over the wire (`wire.ts`).
 */
export function createJobs (components: JobsComponents, init: JobsInit): Jobs {
  const log = (components.logger ?? paipLogger()).forComponent('paip:jobs')
  const host = components.host
  const self = host?.peerId.toString() ?? components.peerId
  if (self == null) throw new Error('createJobs needs a host or a peerId')
  const runtimes = createRuntimes(runtimesInit(init))
  const local = createLocalJobs({
    runtimes,
    db: components.db,
    blobs: components.blobs,
    datasets: components.datasets,
    models: components.models,
    canRun: createAccessCheck(self, init.allow, components.users),
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
  const offerTimeout = init.offerTimeout ?? C.OFFER_TIMEOUT
  const client = host == null ? undefined : jobsClient(host)
  // the node's announce-and-discover service: announces the jobs this node runs, finds who runs one
  const network = components.routing ?? (host == null ? undefined : createRouting({ host, logger: components.logger ?? paipLogger() }))
  const dispatcher = createDispatcher({ self, local, client, routing: network, db: components.db, datasets: components.datasets, models: components.models, log, offerTimeout })
  const located = createLocatedJobs({ self, local, dispatcher, client, blobs: components.blobs, offerTimeout })
  const serve = host != null && init.serve !== false
  let serving = false
  let unsubscribe: (() => void) | undefined

  return {
    self,
    events: local.events,
    async start () {
      await local.start()
      if (serve && host != null) {
        await serveJobs({ host, local, blobs: components.blobs, datasets: components.datasets, models: components.models, onAccepted: job => { dispatcher.announce(job.id) } })
        serving = true
      }
      unsubscribe = components.onContentRemoved?.(async cid => { await local.contentDeleted(cid) })
    },
    async stop () {
      unsubscribe?.()
      unsubscribe = undefined
      if (serving && host != null) { await unserveJobs(host).catch(() => {}); serving = false }
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
    offers: async (dataset, model, options) => await dispatcher.offers(dataset, model, options),
    locate: dispatcher.locate,
    ...located,
    load: local.load,
    runtimes: runtimes.info,
    contentDeleted: local.contentDeleted
  }
}
