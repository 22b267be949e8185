import * as C from '../constants.js'
import { getRecord } from '../../net/records.js'
import { deadline } from './context.js'
import { evalKey } from './key.js'
import { listEvaluations, lookup, metricsOf } from './results.js'
import type { EvalContext } from './context.js'
import type { EvalRecord } from './records.js'
import type { Job } from '../types.js'
import type { SignedRecord } from '../../net/records.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * Reusing a finished result that covers some of an order's criteria: the evaluator is asked
 * only for the others, and the two sets of metrics are merged when the job ends.
 */

/** Every proper non-empty subset of the criteria (none above MAX_EVAL_REUSE_CRITERIA), largest first. */
function subsets (criteria: string[]): string[][] {
  if (criteria.length < 2 || criteria.length > C.MAX_EVAL_REUSE_CRITERIA) return []
  const out: string[][] = []
  for (let mask = 1; mask < (1 << criteria.length) - 1; mask++) out.push(criteria.filter((_, i) => (mask & (1 << i)) !== 0))
  return out.sort((a, b) => b.length - a.length)
}

/** The finished result covering the most of the criteria (a proper subset of them), if any. */
export async function reusable (ctx: EvalContext, model: string, dataset: string, criteria: string[], options: AbortOptions): Promise<SignedRecord<EvalRecord> | undefined> {
  const subs = subsets(criteria)
  if (subs.length === 0) return undefined
  const found = await Promise.all(subs.map(async sub => (await lookup(ctx, evalKey(model, dataset, sub), options))[0]))
  const remote = found.find(r => r != null && r.value.state === 'succeeded' && r.value.reused == null)
  if (remote != null) return remote
  // this node's own finished evaluations (when the DHT has no peer to hold its records yet)
  const keys = new Map(subs.map(sub => [evalKey(model, dataset, sub), sub]))
  const own = (await listEvaluations(ctx, options)).find(e => keys.has(e.key) && e.state === 'succeeded')
  if (own == null) return undefined
  const job = await ctx.jobs.status(own.job, options)
  if (job.evaluation?.reuse != null) return undefined
  return { publisher: ctx.self, value: { key: own.key, model, dataset, criteria: keys.get(own.key) as string[], state: 'succeeded', job: own.job, node: ctx.self } } as unknown as SignedRecord<EvalRecord>
}

/**
 * The metrics of a run that reused a finished result: the reused metrics and the evaluator's,
 * the reused ones winning on names both have. The reused record is fetched here, signed, by
 * the node that runs the job (never taken from the order).
 */
export async function merged (ctx: EvalContext, spec: NonNullable<Job['evaluation']>, metrics: unknown): Promise<{ metrics?: unknown, reused?: EvalRecord['reused'], reason?: string }> {
  const reuse = spec.reuse as { key: string, publisher: string }
  let old: SignedRecord<EvalRecord> | undefined
  try {
    old = await getRecord(ctx.recordHost, ctx.records, reuse.publisher, reuse.key, { signal: deadline(ctx) })
  } catch (err: any) {
    ctx.log('reused evaluation %s: %s', reuse.key, err?.message)
  }
  let v = old?.value
  if (v == null && reuse.publisher === ctx.self) {
    const own = (await listEvaluations(ctx)).find(e => e.key === reuse.key && e.state === 'succeeded')
    const job = own == null ? undefined : await ctx.jobs.status(own.job).catch(() => undefined)
    if (job?.evaluation != null && job.evaluation.reuse == null) {
      v = { key: own!.key, model: own!.model, dataset: own!.dataset, criteria: own!.criteria, state: 'succeeded', job: own!.job, node: ctx.self, metrics: await metricsOf(ctx, job) }
    }
  }
  if (v == null || v.key !== reuse.key || v.state !== 'succeeded' || v.model !== spec.model || v.dataset !== spec.dataset ||
    !v.criteria.every(c => spec.criteria.includes(c))) {
    return { reason: `the reused evaluation ${reuse.key} is not a finished result of these criteria` }
  }
  const object = (m: unknown): Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m) ? m as Record<string, unknown> : {}
  return {
    metrics: { ...object(metrics), ...object(v.metrics) },
    reused: { key: v.key, criteria: v.criteria, publisher: reuse.publisher }
  }
}
