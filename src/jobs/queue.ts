import { EventEmitter } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import * as C from './constants.js'
import { DatasetNotHeldError, JobConflictError, JobNotAllowedError, JobNotFoundError, JobsStoppedError } from './errors.js'
import { executeJob, StopReason } from './execute.js'
import { killLeftovers } from './process.js'
import { createLogBook } from './logs.js'
import { collectOutputs } from './outputs.js'
import { parseRunnable } from './protocol.js'
import { checkEvaluation, checkSubmission, publicJob } from './submission.js'
import { createJobStore } from './store.js'
import { ADMIN_USER } from './access.js'
import type { AccessCheck } from './access.js'
import type { Runtimes } from './runtime/index.js'
import type { LogBook, ReadLogOptions } from './logs.js'
import type { JobsDb, JobStore } from './store.js'
import type { ContentResolver, Job, JobState, JobSubmission, LocalContent, StoredJob, Submitter } from './types.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/**
 * The node's own jobs: accepts (checks, persists, then acknowledges), queues and runs them in
 * `slots` parallel slots, and on start puts back what a stopped or killed node left behind.
 */

export interface QueueInit {
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

export interface Accepted {
  job: Job
  /** True when a job with that ID already existed (nothing new was started). */
  duplicate: boolean
}

export interface LocalJobs {
  start: () => Promise<void>
  stop: () => Promise<void>
  accept: (submission: JobSubmission, submitter: Submitter, options?: AbortOptions) => Promise<Accepted>
  get: (id: string) => Promise<Job | undefined>
  list: (filter?: { submitter?: string, state?: JobState, limit?: number }) => Promise<Job[]>
  cancel: (id: string, by: string) => Promise<Job>
  logs: (id: string, options?: Omit<ReadLogOptions, 'isDone'>) => AsyncGenerator<Uint8Array>
  /** Free and total slots, and jobs waiting. */
  load: () => { slots: number, free: number, queued: number }
  /** Stops the jobs that use this dataset or model CID and removes their outputs. */
  contentDeleted: (cid: string) => Promise<string[]>
  events: EventEmitter<{ job: [Job], started: [Job] }>
  store: JobStore
  logBook: LogBook
  canRun: AccessCheck
}

const FINAL = new Set<JobState>(['succeeded', 'failed', 'cancelled'])

export function createLocalJobs (init: QueueInit): LocalJobs {
  const store = createJobStore(init.db)
  const logBook = createLogBook(path.join(init.dir, 'logs'))
  const events = new EventEmitter<{ job: [Job], started: [Job] }>()
  events.setMaxListeners(0)
  const queue: string[] = []
  const running = new Map<string, { controller: AbortController, done: Promise<void> }>()
  const accepting = new Map<string, Promise<unknown>>()
  let started = false

  async function save (job: StoredJob): Promise<void> {
    await store.put(job)
    events.emit('job', publicJob(job))
  }

  async function resolveContent (resolver: ContentResolver | undefined, ref: string | undefined, what: string, options?: AbortOptions): Promise<LocalContent | undefined> {
    if (ref == null || ref === '') return undefined
    const found = await resolver?.resolve(ref, options)
    if (found == null) throw new DatasetNotHeldError(`this node does not hold the ${what} ${ref}`, { [what]: ref, node: init.self })
    return found
  }

  async function accept (s: JobSubmission, submitter: Submitter, options?: AbortOptions): Promise<Accepted> {
    if (!started) throw new JobsStoppedError()
    checkSubmission(s)
    if (!await init.canRun(submitter)) {
      throw new JobNotAllowedError(`${submitter.user == null ? '' : submitter.user + ' at '}${submitter.peer} may not run jobs on this node`, { peer: submitter.peer, user: submitter.user })
    }
    while (accepting.has(s.id)) await accepting.get(s.id)?.catch(() => {})
    const work = (async (): Promise<Accepted> => {
      const existing = await store.get(s.id)
      if (existing != null) {
        const same = existing.submitter.peer === submitter.peer ||
          (existing.evaluation != null && existing.evaluation.key === s.evaluation?.key)
        if (!same) throw new JobConflictError(`job ID ${s.id} is taken`, { id: s.id })
        return { job: publicJob(existing), duplicate: true }
      }
      const protocol = await parseRunnable(s.protocol)
      const dataset = await resolveContent(init.datasets, s.dataset, 'dataset', options)
      const model = await resolveContent(init.models, s.model, 'model', options)
      if (s.evaluation != null) checkEvaluation(s, dataset, model)
      const admin = submitter.peer === init.self && (submitter.user == null || submitter.user === ADMIN_USER)
      const { runtime, limits } = await init.runtimes.choose(protocol, { ...submitter, admin })
      const strip = ({ dir, ...info }: LocalContent): Omit<LocalContent, 'dir'> => { void dir; return info }
      const job: StoredJob = {
        id: s.id,
        state: 'queued',
        name: protocol.name,
        submitter: { peer: submitter.peer, ...(submitter.user == null ? {} : { user: submitter.user }) },
        node: init.self,
        runtime,
        limits,
        parameters: { ...protocol.parameters, ...s.parameters },
        secrets: Object.keys({ ...protocol.secrets, ...s.secrets }),
        ...(dataset == null ? {} : { dataset: strip(dataset) }),
        ...(model == null ? {} : { model: strip(model) }),
        ...(s.evaluation == null ? {} : { evaluation: s.evaluation }),
        createdAt: Date.now(),
        attempts: 0,
        retries: protocol.jobRetryCount,
        timeLimit: Math.min(s.timeLimit ?? init.timeLimit, init.timeLimit),
        outputs: [],
        logBytes: 0,
        protocol: s.protocol
      }
      await store.create(job, { ...protocol.secrets, ...s.secrets })
      queue.push(job.id)
      events.emit('job', publicJob(job))
      queueMicrotask(pump)
      return { job: publicJob(job), duplicate: false }
    })()
    accepting.set(s.id, work)
    try { return await work } finally { accepting.delete(s.id) }
  }

  function pump (): void {
    while (started && running.size < init.slots && queue.length > 0) {
      const id = queue.shift() as string
      const controller = new AbortController()
      const entry = { controller, done: Promise.resolve() }
      running.set(id, entry)
      entry.done = run(id, controller.signal)
        .catch(async err => {
          init.log.error('job %s: %e', id, err)
          const job = await store.get(id)
          if (job != null && !FINAL.has(job.state)) await finish(job, { state: 'failed', reason: `internal error: ${err?.message ?? err}` })
        })
        .catch(() => {})
        .finally(() => { running.delete(id); pump() })
    }
  }

  async function run (id: string, signal: AbortSignal): Promise<void> {
    let job = await store.get(id)
    if (job == null || job.state !== 'queued') return
    const jobDir = path.join(init.dir, 'work', id)
    let dataset: LocalContent | undefined
    let model: LocalContent | undefined
    try {
      dataset = await resolveContent(init.datasets, job.dataset?.cid, 'dataset')
      model = await resolveContent(init.models, job.model?.cid, 'model')
    } catch (err: any) {
      await finish(job, { state: 'failed', reason: err.message })
      return
    }
    const protocol = await parseRunnable(job.protocol)
    const secrets = await store.secrets(id)
    // jobs stored before runtimes existed ran as processes, with no limits recorded
    const limits = job.limits ?? (await init.runtimes.choose(protocol, { ...job.submitter, admin: true })).limits
    job = { ...job, state: 'running', startedAt: Date.now(), attempts: job.attempts + 1 }
    delete job.reason
    await save(job)
    const result = await executeJob({
      job,
      protocol,
      parameters: job.parameters,
      secrets,
      dataset,
      model,
      workDir: path.join(jobDir, 'work'),
      outputDir: path.join(jobDir, 'output'),
      logs: logBook,
      maxLogBytes: init.maxLogBytes,
      timeLimit: Math.min(job.timeLimit, init.timeLimit),
      baseEnv: init.env,
      runtime: init.runtimes.get(job.runtime),
      limitsOf: role => init.runtimes.roleLimits(role, limits),
      signal,
      onStarted: () => { events.emit('started', publicJob(job as StoredJob)) },
      onSpawn: async pid => { job = { ...(job as StoredJob), pid }; await store.put(job) }
    })
    if (result.state === 'interrupted') return // the node is stopping: left as running
    const logBytes = await logBook.size(id)
    let { state, reason } = result
    let outputs = job.outputs
    if (state !== 'cancelled') {
      const collected = await collectOutputs({ dir: path.join(jobDir, 'output'), blobs: init.blobs, maxBytes: init.maxOutputBytes, maxFiles: init.maxOutputFiles })
      outputs = collected.outputs
      if (collected.problem != null && state === 'succeeded') { state = 'failed'; reason = `output limit reached: ${collected.problem}` }
    }
    await fs.rm(jobDir, { recursive: true, force: true }).catch(() => {})
    const ended: StoredJob = { ...job, logBytes, outputs, ...(result.exitCode == null ? {} : { exitCode: result.exitCode }) }
    delete ended.pid
    await finish(ended, { state: state as JobState, reason })
  }

  async function finish (job: StoredJob, end: { state: JobState, reason?: string }): Promise<void> {
    if (end.state === 'failed' && job.attempts <= job.retries && job.attempts > 0) {
      const again: StoredJob = { ...job, state: 'queued', reason: `retrying after: ${end.reason ?? 'failure'}` }
      await save(again)
      queue.push(job.id)
      return
    }
    const done: StoredJob = { ...job, state: end.state, finishedAt: Date.now(), ...(end.reason == null ? {} : { reason: end.reason }) }
    if (end.reason == null) delete done.reason
    await save(done)
    await store.dropSecrets(job.id)
    logBook.end(job.id)
  }

  async function recover (): Promise<void> {
    for (const id of await store.unfinished()) {
      const job = await store.get(id)
      if (job == null) continue
      if (job.state === 'queued') { queue.push(id); continue }
      if (job.state === 'running') {
        if (job.pid != null && await killLeftovers(job.pid, id)) init.log('killed what job %s left running', id)
        await init.runtimes.cleanup(id)
        delete job.pid
        await fs.rm(path.join(init.dir, 'work', id), { recursive: true, force: true }).catch(() => {})
        const logBytes = await logBook.size(id)
        await finish({ ...job, logBytes }, { state: 'failed', reason: C.NODE_RESTARTED })
      }
    }
  }

  async function cancel (id: string, by: string): Promise<Job> {
    const job = await store.get(id)
    if (job == null) throw new JobNotFoundError(id)
    if (FINAL.has(job.state)) return publicJob(job)
    const reason = `cancelled by ${by}`
    const active = running.get(id)
    if (active != null) {
      active.controller.abort(new StopReason('cancelled', reason))
      await active.done
    } else {
      const at = queue.indexOf(id)
      if (at !== -1) queue.splice(at, 1)
      await finish(job, { state: 'cancelled', reason })
    }
    return publicJob(await store.get(id) as StoredJob)
  }

  return {
    store,
    logBook,
    events,
    canRun: init.canRun,
    async start () {
      if (started) return
      await fs.mkdir(init.dir, { recursive: true })
      await init.runtimes.start()
      started = true
      await recover()
      pump()
    },
    async stop () {
      started = false
      for (const { controller } of running.values()) controller.abort(new StopReason('interrupted', 'node stopping'))
      await Promise.all([...running.values()].map(async r => r.done))
      await Promise.all([...accepting.values()].map(async p => p.catch(() => {})))
      queue.length = 0
    },
    accept,
    async get (id) {
      const job = await store.get(id)
      return job == null ? undefined : publicJob(job)
    },
    async list (filter = {}) {
      const out: Job[] = []
      const limit = Math.min(filter.limit ?? C.LIST_LIMIT, C.LIST_LIMIT)
      for await (const job of store.list({ reverse: true })) {
        if (filter.submitter != null && job.submitter.peer !== filter.submitter) continue
        if (filter.state != null && job.state !== filter.state) continue
        out.push(publicJob(job))
        if (out.length >= limit) break
      }
      return out
    },
    cancel,
    logs (id, options = {}) {
      return logBook.read(id, {
        ...options,
        isDone: async () => {
          const job = await store.get(id)
          return job == null || FINAL.has(job.state)
        }
      })
    },
    load () {
      return { slots: init.slots, free: Math.max(0, init.slots - running.size - queue.length), queued: queue.length }
    },
    async contentDeleted (cid) {
      const stopped: string[] = []
      const affected: string[] = []
      for await (const job of store.list()) {
        if (job.dataset?.cid !== cid && job.model?.cid !== cid) continue
        affected.push(job.id)
        if (!FINAL.has(job.state)) { await cancel(job.id, `deletion of ${cid}`); stopped.push(job.id) }
      }
      const orphaned = new Set<string>()
      for (const id of affected) {
        const current = await store.get(id) as StoredJob
        for (const output of current.outputs) orphaned.add(output.cid)
        if (current.outputs.length > 0) await save({ ...current, outputs: [] })
      }
      // blobs are shared by content: keep what another job or the catalog still uses
      for await (const job of store.list()) for (const output of job.outputs) orphaned.delete(output.cid)
      for (const blob of orphaned) {
        if (await init.blobInUse?.(blob) === true) continue
        await init.blobs.delete(blob).catch(() => false)
      }
      return stopped
    }
  }
}
