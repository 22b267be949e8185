import fs from 'node:fs/promises'
import path from 'node:path'
import * as C from './constants.js'
import { JobNotFoundError } from './errors.js'
import { StopReason } from './execute.js'
import { killLeftovers } from './process.js'
import { publicJob } from './submission.js'
import { isFinal, saveJob } from './context.js'
import type { LocalContext } from './context.js'
import type { Job, JobState, StoredJob } from './types.js'

/** How a job ends: a failure with retries left goes back to the queue; anything else is final. */
export async function finishJob (ctx: LocalContext, job: StoredJob, end: { state: JobState, reason?: string }): Promise<void> {
  if (end.state === 'failed' && job.attempts <= job.retries && job.attempts > 0) {
    await saveJob(ctx, { ...job, state: 'queued', reason: `retrying after: ${end.reason ?? 'failure'}` })
    ctx.queue.push(job.id)
    return
  }
  const done: StoredJob = { ...job, state: end.state, finishedAt: Date.now(), ...(end.reason == null ? {} : { reason: end.reason }) }
  if (end.reason == null) delete done.reason
  await saveJob(ctx, done)
  await ctx.store.dropSecrets(job.id)
  ctx.logBook.end(job.id)
}

/**
 * Puts back what a stopped or killed node left: queued jobs are queued again; running ones
 * fail (`node restarted`, retried when they have retries left) after what they left running
 * is killed and their working directory removed.
 */
export async function recoverJobs (ctx: LocalContext): Promise<void> {
  for (const id of await ctx.store.unfinished()) {
    const job = await ctx.store.get(id)
    if (job == null) continue
    if (job.state === 'queued') { ctx.queue.push(id); continue }
    if (job.state !== 'running') continue
    if (job.pid != null && await killLeftovers(job.pid, id)) ctx.init.log('killed what job %s left running', id)
    await ctx.init.runtimes.cleanup(id)
    delete job.pid
    await fs.rm(path.join(ctx.init.dir, 'work', id), { recursive: true, force: true }).catch(() => {})
    const logBytes = await ctx.logBook.size(id)
    await finishJob(ctx, { ...job, logBytes }, { state: 'failed', reason: C.NODE_RESTARTED })
  }
}

/** Stops a running job (its attempt ends it) or ends a waiting one; a finished job is left as it is. */
export async function cancelJob (ctx: LocalContext, id: string, by: string): Promise<Job> {
  const job = await ctx.store.get(id)
  if (job == null) throw new JobNotFoundError(id)
  if (isFinal(job.state)) return publicJob(job)
  const reason = `cancelled by ${by}`
  const active = ctx.queue.running(id)
  if (active != null) {
    active.controller.abort(new StopReason('cancelled', reason))
    await active.done
  } else {
    ctx.queue.remove(id)
    await finishJob(ctx, job, { state: 'cancelled', reason })
  }
  return publicJob(await ctx.store.get(id) as StoredJob)
}

/**
 * Stops the jobs that use a deleted dataset or model CID and removes their outputs, keeping
 * the blobs another job or the catalog still uses (blobs are shared by content).
 */
export async function dropJobsOf (ctx: LocalContext, cid: string): Promise<string[]> {
  const stopped: string[] = []
  const affected: string[] = []
  for await (const job of ctx.store.list()) {
    if (job.dataset?.cid !== cid && job.model?.cid !== cid) continue
    affected.push(job.id)
    if (!isFinal(job.state)) { await cancelJob(ctx, job.id, `deletion of ${cid}`); stopped.push(job.id) }
  }
  const orphaned = new Set<string>()
  for (const id of affected) {
    const current = await ctx.store.get(id) as StoredJob
    for (const output of current.outputs) orphaned.add(output.cid)
    if (current.outputs.length > 0) await saveJob(ctx, { ...current, outputs: [] })
  }
  for await (const job of ctx.store.list()) for (const output of job.outputs) orphaned.delete(output.cid)
  for (const blob of orphaned) {
    if (await ctx.init.blobInUse?.(blob) === true) continue
    await ctx.init.blobs.delete(blob).catch(() => false)
  }
  return stopped
}
