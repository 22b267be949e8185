import { isFinal } from '../context.js'
import { publish, metricsOf } from './results.js'
import { merged } from './reuse.js'
import type { EvalContext } from './context.js'
import type { EvalRecord } from './records.js'
import type { Job } from '../types.js'

export interface ResultPublisher {
  /** Given every state change of a local job (`jobs.events`' `job`). */
  onJob: (job: Job) => void
  /** Waits for the records being published. */
  settle: () => Promise<void>
}

/** The record of an ended evaluation job: its metrics (merged with a reused result's) or why it failed. */
async function endRecord (ctx: EvalContext, job: Job, base: Omit<EvalRecord, 'state'>): Promise<EvalRecord> {
  const spec = job.evaluation as NonNullable<Job['evaluation']>
  let metrics = job.state === 'succeeded' ? await metricsOf(ctx, job) : undefined
  let state: EvalRecord['state'] = job.state === 'succeeded' ? 'succeeded' : 'failed'
  let reason = job.reason
  let reused: EvalRecord['reused']
  if (state === 'succeeded' && spec.reuse != null) {
    const m = await merged(ctx, spec, metrics)
    if (m.reason != null) {
      state = 'failed'
      reason = m.reason
    }
    metrics = m.metrics ?? metrics
    reused = m.reused
  }
  return {
    ...base,
    state,
    outputs: job.outputs.slice(0, 256),
    finishedAt: job.finishedAt ?? Date.now(),
    ...(metrics === undefined ? {} : { metrics }),
    ...(reason == null ? {} : { reason }),
    ...(reused == null ? {} : { reused })
  }
}

/** Publishes the records of this node's evaluation jobs as they start and end (in order per key). */
export function createResultPublisher (ctx: EvalContext): ResultPublisher {
  const chains = new Map<string, Promise<void>>()
  return {
    onJob (job) {
      const spec = job.evaluation
      if (spec == null || job.node !== ctx.self) return
      const first = job.state === 'queued' && job.attempts === 0
      if (!first && !isFinal(job.state)) return
      const base = { key: spec.key, model: spec.model, dataset: spec.dataset, criteria: spec.criteria, job: job.id, node: ctx.self }
      const work = async (): Promise<void> => {
        await publish(ctx, first ? { ...base, state: 'running' } : await endRecord(ctx, job, base))
      }
      const next = (chains.get(spec.key) ?? Promise.resolve()).then(work).catch((err: any) => { ctx.log.error('evaluation record %s: %s', spec.key, err?.message) })
      chains.set(spec.key, next)
    },
    async settle () {
      await Promise.all([...chains.values()])
    }
  }
}
