import type { StoredJob } from './types.js'
import type { AbstractLevel } from 'abstract-level'

/**
 * Job records in the node's `level` database: `jobs` (ID → record), `secrets` (ID → values,
 * removed when the job ends), `created` (creation order → ID, for the queue and listing).
 * Every write is awaited before the caller acknowledges anything.
 */

export type JobsDb = AbstractLevel<any, string, any>

export interface JobStore {
  get: (id: string) => Promise<StoredJob | undefined>
  /** Writes a new job and its secrets together. */
  create: (job: StoredJob, secrets: Record<string, string>) => Promise<void>
  /** Updates a job (and the index of unfinished jobs). */
  put: (job: StoredJob) => Promise<void>
  /** IDs of jobs not yet finished (queued or running), oldest first. */
  unfinished: () => Promise<string[]>
  secrets: (id: string) => Promise<Record<string, string>>
  dropSecrets: (id: string) => Promise<void>
  /** Every job in creation order (oldest first), or newest first with `reverse`. */
  list: (options?: { reverse?: boolean, limit?: number }) => AsyncIterable<StoredJob>
  count: () => Promise<number>
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])

function orderKey (job: StoredJob): string {
  return `${String(job.createdAt).padStart(15, '0')}!${job.id}`
}

export function createJobStore (db: JobsDb): JobStore {
  const jobs = db.sublevel<string, StoredJob>('jobs', { valueEncoding: 'json' })
  const secrets = db.sublevel<string, Record<string, string>>('secrets', { valueEncoding: 'json' })
  const created = db.sublevel<string, string>('created', { valueEncoding: 'utf8' })
  const active = db.sublevel<string, string>('active', { valueEncoding: 'utf8' })

  return {
    async get (id) {
      return await jobs.get(id) ?? undefined
    },
    async create (job, values) {
      // the array form of batch waits for a database that is still opening
      const ops: any[] = [
        { type: 'put', key: job.id, value: job, sublevel: jobs },
        { type: 'put', key: orderKey(job), value: job.id, sublevel: created },
        { type: 'put', key: orderKey(job), value: job.id, sublevel: active }
      ]
      if (Object.keys(values).length > 0) ops.push({ type: 'put', key: job.id, value: values, sublevel: secrets })
      await db.batch(ops)
    },
    async put (job) {
      await db.batch([
        { type: 'put', key: job.id, value: job, sublevel: jobs },
        FINAL.has(job.state)
          ? { type: 'del', key: orderKey(job), sublevel: active }
          : { type: 'put', key: orderKey(job), value: job.id, sublevel: active }
      ] as any[])
    },
    async unfinished () {
      return await active.values().all()
    },
    async secrets (id) {
      return await secrets.get(id) ?? {}
    },
    async dropSecrets (id) {
      await secrets.del(id)
    },
    async * list (options = {}) {
      for await (const id of created.values({ reverse: options.reverse === true, limit: options.limit ?? -1 })) {
        const job = await jobs.get(id)
        if (job != null) yield job
      }
    },
    async count () {
      let n = 0
      for await (const _ of created.keys()) n++
      return n
    }
  }
}
