import fs from 'node:fs/promises'
import path from 'node:path'
import { executeJob } from './execute.js'
import { collectOutputs } from './outputs.js'
import { parseRunnable } from './runnable.js'
import { publicJob } from './submission.js'
import { resolveContent, saveJob } from './context.js'
import { finishJob } from './ending.js'
import type { LocalContext } from './context.js'
import type { ExecuteResult } from './execute.js'
import type { JobOutput, JobState, LocalContent, StoredJob } from './types.js'

/**
 * One attempt at a queued job: resolve its content, run its commands (`executeJob`), collect
 * its outputs into the blob store (`collectOutputs`), then end it (`finishJob`: retried or
 * final). An attempt interrupted because the node stops leaves the job `running`, for
 * `recoverJobs` at the next start.
 */
export async function runAttempt (ctx: LocalContext, id: string, signal: AbortSignal): Promise<void> {
  const queued = await ctx.store.get(id)
  if (queued == null || queued.state !== 'queued') return
  let dataset: LocalContent | undefined
  let model: LocalContent | undefined
  try {
    dataset = await resolveContent(ctx, 'dataset', queued.dataset?.cid)
    model = await resolveContent(ctx, 'model', queued.model?.cid)
  } catch (err: any) {
    await finishJob(ctx, queued, { state: 'failed', reason: err.message })
    return
  }
  const { job, result } = await execute(ctx, queued, { dataset, model }, signal)
  if (result.state === 'interrupted') return // the node is stopping: left as running
  const jobDir = path.join(ctx.init.dir, 'work', id)
  let { state, reason } = result
  let outputs = job.outputs
  if (state !== 'cancelled') {
    const collected = await collect(ctx, jobDir)
    outputs = collected.outputs
    if (collected.problem != null && state === 'succeeded') { state = 'failed'; reason = `output limit reached: ${collected.problem}` }
  }
  await fs.rm(jobDir, { recursive: true, force: true }).catch(() => {})
  const logBytes = await ctx.logBook.size(id)
  const ended: StoredJob = { ...job, logBytes, outputs, ...(result.exitCode == null ? {} : { exitCode: result.exitCode }) }
  delete ended.pid
  await finishJob(ctx, ended, { state: state as JobState, reason })
}

/** Marks the job running and runs its commands in `<dir>/work/<id>`. */
async function execute (ctx: LocalContext, queued: StoredJob, content: { dataset?: LocalContent, model?: LocalContent }, signal: AbortSignal): Promise<{ job: StoredJob, result: ExecuteResult }> {
  const { init } = ctx
  const protocol = await parseRunnable(queued.protocol)
  const secrets = await ctx.store.secrets(queued.id)
  // jobs stored before runtimes existed ran as processes, with no limits recorded
  const limits = queued.limits ?? (await init.runtimes.choose(protocol, { ...queued.submitter, admin: true })).limits
  let job: StoredJob = { ...queued, state: 'running', startedAt: Date.now(), attempts: queued.attempts + 1 }
  delete job.reason
  await saveJob(ctx, job)
  const jobDir = path.join(init.dir, 'work', job.id)
  const result = await executeJob({
    job,
    protocol,
    parameters: job.parameters,
    secrets,
    ...content,
    workDir: path.join(jobDir, 'work'),
    outputDir: path.join(jobDir, 'output'),
    logs: ctx.logBook,
    maxLogBytes: init.maxLogBytes,
    timeLimit: Math.min(job.timeLimit, init.timeLimit),
    baseEnv: init.env,
    runtime: init.runtimes.get(job.runtime),
    limitsOf: role => init.runtimes.roleLimits(role, limits),
    signal,
    onStarted: () => { ctx.events.emit('started', publicJob(job)) },
    onSpawn: async pid => { job = { ...job, pid }; await ctx.store.put(job) }
  })
  return { job, result }
}

async function collect (ctx: LocalContext, jobDir: string): Promise<{ outputs: JobOutput[], problem?: string }> {
  return await collectOutputs({ dir: path.join(jobDir, 'output'), blobs: ctx.init.blobs, maxBytes: ctx.init.maxOutputBytes, maxFiles: ctx.init.maxOutputFiles })
}
