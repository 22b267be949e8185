import { EventEmitter } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import * as C from './constants.js'
import { createAcceptor } from './accept.js'
import { runAttempt } from './attempt.js'
import { isFinal } from './context.js'
import { cancelJob, dropJobsOf, finishJob, recoverJobs } from './ending.js'
import { StopReason } from './execute.js'
import { createLogBook } from './logs.js'
import { createSlotQueue } from './queue.js'
import { createJobStore } from './store.js'
import { publicJob } from './submission.js'
import type { AccessCheck } from './access.js'
import type { Accepted } from './accept.js'
import type { JobEvents, LocalContext, LocalJobsInit } from './context.js'
import type { LogBook, ReadLogOptions } from './logs.js'
import type { JobStore } from './store.js'
import type { Job, JobState, JobSubmission, Submitter } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * The node's own jobs: accepts (checks, persists, then acknowledges: `accept.ts`), queues and
 * runs them in `slots` parallel slots (`queue.ts`, one attempt each: `attempt.ts`), ends them
 * (`ending.ts`), and on start puts back what a stopped or killed node left behind.
 */

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
  events: EventEmitter<JobEvents>
  store: JobStore
  logBook: LogBook
  canRun: AccessCheck
}

export function createLocalJobs (init: LocalJobsInit): LocalJobs {
  const events = new EventEmitter<JobEvents>()
  events.setMaxListeners(0)
  let started = false
  const ctx: LocalContext = {
    init,
    store: createJobStore(init.db),
    logBook: createLogBook(path.join(init.dir, 'logs')),
    events,
    queue: createSlotQueue({
      slots: init.slots,
      run: async (id, signal) => { await runAttempt(ctx, id, signal) },
      failed: async (id, err) => {
        init.log.error('job %s: %e', id, err)
        const job = await ctx.store.get(id)
        if (job != null && !isFinal(job.state)) await finishJob(ctx, job, { state: 'failed', reason: `internal error: ${err?.message ?? err}` })
      }
    })
  }
  const { store, logBook, queue } = ctx
  const acceptor = createAcceptor(ctx, () => started)

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
      await recoverJobs(ctx)
      queue.open()
    },
    async stop () {
      started = false
      await queue.close(new StopReason('interrupted', 'node stopping'))
      await acceptor.settle()
      queue.clear()
    },
    accept: acceptor.accept,
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
    cancel: async (id, by) => await cancelJob(ctx, id, by),
    logs (id, options = {}) {
      return logBook.read(id, {
        ...options,
        isDone: async () => {
          const job = await store.get(id)
          return job == null || isFinal(job.state)
        }
      })
    },
    load: queue.load,
    contentDeleted: async cid => await dropJobsOf(ctx, cid)
  }
}
