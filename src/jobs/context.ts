import { DatasetNotHeldError } from './errors.js'
import { publicJob } from './submission.js'
import type { AccessCheck } from './access.js'
import type { LogBook } from './logs.js'
import type { SlotQueue } from './queue.js'
import type { Runtimes } from './runtime/index.js'
import type { JobsDb, JobStore } from './store.js'
import type { ContentResolver, Job, JobState, LocalContent, StoredJob } from './types.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { EventEmitter } from 'node:events'

/** What the node's own jobs are built from (every limit resolved: see `resolveJobsInit`). */
export interface LocalJobsInit {
  db: JobsDb
  blobs: BlobStore
  datasets: ContentResolver
  models?: ContentResolver
  canRun: AccessCheck
  /** This node's peer ID. */
  self: string
  dir: string
  slots: number
  timeLimit: number
  maxLogBytes: number
  maxOutputBytes: number
  maxOutputFiles: number
  env: Record<string, string | undefined>
  log: Logger
  /** The runtimes of this node: which one a job gets, and its limits. */
  runtimes: Runtimes
  /** Whether something other than jobs (the catalog) still uses a blob. */
  blobInUse?: (cid: string) => Promise<boolean>
}

export interface JobEvents {
  /** Every state change of a local job. */
  job: [Job]
  /** A job's first command starts. */
  started: [Job]
}

/** The parts the accept, attempt and ending steps share. */
export interface LocalContext {
  init: LocalJobsInit
  store: JobStore
  logBook: LogBook
  events: EventEmitter<JobEvents>
  queue: SlotQueue
}

const FINAL = new Set<JobState>(['succeeded', 'failed', 'cancelled'])

/** A state a job never leaves. */
export function isFinal (state: JobState): boolean {
  return FINAL.has(state)
}

/** Persists a job and tells the listeners. */
export async function saveJob (ctx: LocalContext, job: StoredJob): Promise<void> {
  await ctx.store.put(job)
  ctx.events.emit('job', publicJob(job))
}

/** The dataset or model `ref` on this node; DatasetNotHeldError when it holds none. */
export async function resolveContent (ctx: LocalContext, kind: 'dataset' | 'model', ref: string | undefined, options?: AbortOptions): Promise<LocalContent | undefined> {
  if (ref == null || ref === '') return undefined
  const resolver = kind === 'dataset' ? ctx.init.datasets : ctx.init.models
  const found = await resolver?.resolve(ref, options)
  if (found == null) throw new DatasetNotHeldError(`this node does not hold the ${kind} ${ref}`, { [kind]: ref, node: ctx.init.self })
  return found
}
