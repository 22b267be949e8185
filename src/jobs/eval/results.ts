import { getRecord, putRecord, signRecord } from '../../net/records.js'
import * as C from '../constants.js'
import { deadline } from './context.js'
import { evalCid, parseEvalKey } from './key.js'
import type { EvalContext } from './context.js'
import type { EvalRecord } from './records.js'
import type { EvalListing } from './types.js'
import type { Job } from '../types.js'
import type { SignedRecord } from '../../net/records.js'
import type { AbortOptions } from '@libp2p/interface'

/** Result records on the DHT (signed by their publisher) and this node's own evaluation jobs. */

const RANK: Record<EvalRecord['state'], number> = { succeeded: 3, running: 2, failed: 1 }

/** The valid records under a key from every publisher found (and this node), best first. */
export async function lookup (ctx: EvalContext, key: string, options: AbortOptions = {}): Promise<Array<SignedRecord<EvalRecord>>> {
  const cid = parseEvalKey(key)
  const publishers = new Set<string>([ctx.self])
  for await (const provider of ctx.routing.providers(cid, { signal: deadline(ctx, options), timeout: ctx.timeout })) publishers.add(provider.toString())
  const found = await Promise.all([...publishers].map(async publisher => {
    try {
      const r = await getRecord(ctx.recordHost, ctx.records, publisher, key, { signal: deadline(ctx, options) })
      return r.value.key === key && r.name === key ? r : undefined
    } catch { return undefined }
  }))
  return found.filter((r): r is SignedRecord<EvalRecord> => r != null)
    .sort((a, b) => (RANK[b.value.state] - RANK[a.value.state]) || (b.time - a.time))
}

/** Signs and stores a record of this node's (a higher seq than its last), and announces its key. */
export async function publish (ctx: EvalContext, value: EvalRecord): Promise<void> {
  const seq = Math.max(Date.now(), (ctx.lastSeq.get(value.key) ?? 0) + 1)
  ctx.lastSeq.set(value.key, seq)
  const record = await signRecord(ctx.privateKey, { namespace: ctx.records.namespace, name: value.key, seq, value })
  try {
    await putRecord(ctx.recordHost, ctx.records, record)
  } catch (err: any) {
    ctx.log.error('could not store evaluation record %s: %s', value.key, err?.message)
  }
  // a node alone keeps the key and announces it once it has peers
  await ctx.routing.announce([evalCid(value.model, value.dataset, value.criteria)], { signal: AbortSignal.timeout(ctx.timeout) })
}

/** The metrics an evaluator wrote (its `result.json` output), when small enough and JSON. */
export async function metricsOf (ctx: EvalContext, job: Job): Promise<unknown> {
  const file = job.outputs.find(o => o.path === C.EVAL_RESULT_FILE)
  if (file == null || file.size > C.MAX_EVAL_RESULT_BYTES) return undefined
  const chunks: Uint8Array[] = []
  for await (const chunk of ctx.blobs.get(file.cid)) chunks.push(chunk)
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { return undefined }
}

/** The evaluations this node ran or ordered (from its jobs), newest first, one per key. */
export async function listEvaluations (ctx: EvalContext, options: AbortOptions = {}): Promise<EvalListing[]> {
  const byKey = new Map<string, EvalListing>()
  for (const job of await ctx.jobs.list({ ...options, limit: C.MAX_LISTED_EVALS })) {
    const spec = job.evaluation
    if (spec == null || byKey.has(spec.key) || ctx.removed.has(spec.key)) continue
    byKey.set(spec.key, {
      key: spec.key,
      model: spec.model,
      dataset: spec.dataset,
      criteria: spec.criteria,
      state: job.state,
      job: job.id,
      node: job.node,
      createdAt: job.createdAt,
      ...(job.finishedAt == null ? {} : { finishedAt: job.finishedAt }),
      ...(job.submitter?.user == null ? {} : { user: job.submitter.user })
    })
  }
  return [...byKey.values()]
}
