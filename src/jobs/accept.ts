import { ADMIN_USER } from './access.js'
import { JobConflictError, JobNotAllowedError, JobsStoppedError } from './errors.js'
import { parseRunnable } from './runnable.js'
import { checkEvaluation, checkSubmission, publicJob } from './submission.js'
import { resolveContent } from './context.js'
import type { LocalContext } from './context.js'
import type { RunnableProtocol } from './runnable.js'
import type { JobLimits, RuntimeName } from './runtime/index.js'
import type { Job, JobSubmission, LocalContent, StoredJob, Submitter } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

export interface Accepted {
  job: Job
  /** True when a job with that ID already existed (nothing new was started). */
  duplicate: boolean
}

export interface Acceptor {
  /** Checks a submission, persists it as a queued job, then answers (idempotent by job ID). */
  accept: (submission: JobSubmission, submitter: Submitter, options?: AbortOptions) => Promise<Accepted>
  /** Waits for the submissions being accepted now. */
  settle: () => Promise<void>
}

/** The stored record of a new job (its content as resolved here, without local directories). */
function newJob (ctx: LocalContext, s: JobSubmission, submitter: Submitter, found: { protocol: RunnableProtocol, dataset?: LocalContent, model?: LocalContent, runtime: RuntimeName, limits: JobLimits }): StoredJob {
  const { protocol, dataset, model } = found
  const strip = ({ dir, ...info }: LocalContent): Omit<LocalContent, 'dir'> => { void dir; return info }
  return {
    id: s.id,
    state: 'queued',
    name: protocol.name,
    submitter: { peer: submitter.peer, ...(submitter.user == null ? {} : { user: submitter.user }) },
    node: ctx.init.self,
    runtime: found.runtime,
    limits: found.limits,
    parameters: { ...protocol.parameters, ...s.parameters },
    secrets: Object.keys({ ...protocol.secrets, ...s.secrets }),
    ...(dataset == null ? {} : { dataset: strip(dataset) }),
    ...(model == null ? {} : { model: strip(model) }),
    ...(s.evaluation == null ? {} : { evaluation: s.evaluation }),
    createdAt: Date.now(),
    attempts: 0,
    retries: protocol.jobRetryCount,
    timeLimit: Math.min(s.timeLimit ?? ctx.init.timeLimit, ctx.init.timeLimit),
    outputs: [],
    logBytes: 0,
    protocol: s.protocol
  }
}

/** `accepting()` tells whether the jobs component takes submissions (started). */
export function createAcceptor (ctx: LocalContext, accepting: () => boolean): Acceptor {
  const pending = new Map<string, Promise<unknown>>()

  async function acceptNew (s: JobSubmission, submitter: Submitter, options?: AbortOptions): Promise<Accepted> {
    const existing = await ctx.store.get(s.id)
    if (existing != null) {
      const same = existing.submitter.peer === submitter.peer ||
        (existing.evaluation != null && existing.evaluation.key === s.evaluation?.key)
      if (!same) throw new JobConflictError(`job ID ${s.id} is taken`, { id: s.id })
      return { job: publicJob(existing), duplicate: true }
    }
    const protocol = await parseRunnable(s.protocol)
    const dataset = await resolveContent(ctx, 'dataset', s.dataset, options)
    const model = await resolveContent(ctx, 'model', s.model, options)
    if (s.evaluation != null) checkEvaluation(s, dataset, model)
    const admin = submitter.peer === ctx.init.self && (submitter.user == null || submitter.user === ADMIN_USER)
    const { runtime, limits } = await ctx.init.runtimes.choose(protocol, { ...submitter, admin })
    const job = newJob(ctx, s, submitter, { protocol, dataset, model, runtime, limits })
    await ctx.store.create(job, { ...protocol.secrets, ...s.secrets })
    ctx.queue.push(job.id)
    ctx.events.emit('job', publicJob(job))
    queueMicrotask(ctx.queue.pump)
    return { job: publicJob(job), duplicate: false }
  }

  return {
    async accept (s, submitter, options) {
      if (!accepting()) throw new JobsStoppedError()
      checkSubmission(s)
      if (!await ctx.init.canRun(submitter)) {
        throw new JobNotAllowedError(`${submitter.user == null ? '' : submitter.user + ' at '}${submitter.peer} may not run jobs on this node`, { peer: submitter.peer, user: submitter.user })
      }
      // one submission of an ID at a time: a retry waits for the first and sees it as a duplicate
      while (pending.has(s.id)) await pending.get(s.id)?.catch(() => {})
      const work = acceptNew(s, submitter, options)
      pending.set(s.id, work)
      try { return await work } finally { pending.delete(s.id) }
    },
    async settle () {
      await Promise.all([...pending.values()].map(async p => await p.catch(() => {})))
    }
  }
}
