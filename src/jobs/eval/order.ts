import { createHash } from 'node:crypto'
import * as C from '../constants.js'
import { isFinal } from '../context.js'
import { NoCandidateError } from '../errors.js'
import { evalKey, normalizeCriteria } from './key.js'
import { lookup } from './results.js'
import { reusable } from './reuse.js'
import type { EvalContext } from './context.js'
import type { EvalOrder, OrderResult } from './types.js'
import type { Offer } from '../wire.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * The evaluator run when the order names no protocol: the model's entry point (its metadata's
 * `entrypoint`, else `evaluate`), called with the dataset directory and the output directory;
 * it writes its metrics to `result.json` there. `.py` runs with python3, an executable as is,
 * anything else with sh.
 */
export const DEFAULT_EVALUATOR = `protocolVersion: 2
name: paip_evaluation
type: job
prerequisites:
  - name: image
    type: dockerimage
    uri: python:3.12
taskRoles:
  evaluate:
    instances: 1
    dockerImage: image
    resourcePerInstance: { cpu: 1, memoryMB: 1024, gpu: 0 }
    commands:
      - 'entry="$PAIP_MODEL_DIR/$PAIP_MODEL_ENTRYPOINT"'
      - 'test -e "$entry" || { echo "the model has no entry point $PAIP_MODEL_ENTRYPOINT" >&2; exit 2; }'
      - 'case "$entry" in *.py) python3 "$entry" "$PAIP_DATASET_DIR" "$PAIP_OUTPUT_DIR";; *) if [ -x "$entry" ]; then "$entry" "$PAIP_DATASET_DIR" "$PAIP_OUTPUT_DIR"; else sh "$entry" "$PAIP_DATASET_DIR" "$PAIP_OUTPUT_DIR"; fi;; esac'
`

/** The job ID of the attempt after `previous` (`eval-<key>`, then `eval-<key>-2`, `-3`...). */
export function nextEvalJobId (key: string, previous: string): string {
  const match = previous.startsWith(`eval-${key}-`) ? /^(\d+)$/.exec(previous.slice(`eval-${key}-`.length)) : null
  return `eval-${key}-${match == null ? 2 : Number(match[1]) + 1}`
}

/** Rendezvous choice: every orderer picks the same holder for the same key. */
function rendezvous (key: string, model: string, dataset: string) {
  return (offers: Offer[]): Offer | undefined => {
    const score = (o: Offer): string => createHash('sha256').update(`${o.peer}:${key}`).digest('hex')
    return offers.filter(o => o.model?.cid === model && o.dataset?.cid === dataset)
      .sort((a, b) => score(a) < score(b) ? -1 : 1)[0]
  }
}

/**
 * Orders an evaluation: a finished result is returned as it is, a running one followed; else
 * (none, or the last attempt failed) an evaluation job is dispatched to the holder every
 * orderer picks for this key.
 */
export async function order (ctx: EvalContext, o: EvalOrder, options: AbortOptions = {}): Promise<OrderResult> {
  const criteria = normalizeCriteria(o.criteria)
  const offers = (await ctx.jobs.offers(o.dataset, o.model, options)).filter(x => x.holds && x.dataset != null && x.model != null)
  if (offers.length === 0) throw new NoCandidateError(`no node holding both ${o.dataset} and ${o.model} answered`, { dataset: o.dataset, model: o.model })
  const modelCid = (offers[0].model as { cid: string }).cid
  const datasetCid = (offers[0].dataset as { cid: string }).cid
  const key = evalKey(modelCid, datasetCid, criteria)

  const found = await lookup(ctx, key, options)
  const best = found[0]
  if (best != null && best.value.state === 'succeeded') {
    return { key, cached: true, record: { ...best.value, publisher: best.publisher }, node: best.publisher, reason: 'already evaluated: nothing was run' }
  }
  if (best != null && best.value.state === 'running') {
    try {
      const job = await ctx.jobs.status(best.value.job, options)
      if (!isFinal(job.state)) {
        return { key, cached: false, record: { ...best.value, publisher: best.publisher }, job, node: job.node, reason: 'already running: following that run' }
      }
      if (job.state === 'succeeded') return { key, cached: true, job, node: job.node, record: { ...best.value, publisher: best.publisher }, reason: 'already evaluated: nothing was run' }
    } catch (err: any) {
      ctx.log('the running evaluation %s is gone: %s', key, err?.message)
    }
  }
  // a failed (or removed) evaluation runs again, as the next job ID after the failed one's, so
  // that orderers who saw the same failure still share one rerun
  const failed = best != null && best.value.state === 'failed' ? best.value : undefined
  // a finished result of some of the criteria: the evaluator is asked only for the others
  const reuse = await reusable(ctx, modelCid, datasetCid, criteria, options)
  const reused = reuse == null ? undefined : { key: reuse.value.key, criteria: reuse.value.criteria, publisher: reuse.publisher }
  const run = reused == null ? undefined : criteria.filter(c => !reused.criteria.includes(c))
  let id = failed == null ? `eval-${key}` : nextEvalJobId(key, failed.job)
  for (let attempt = 0; ; attempt++) {
    const sent = await ctx.jobs.run({
      id,
      protocol: o.protocol ?? DEFAULT_EVALUATOR,
      dataset: datasetCid,
      model: modelCid,
      evaluation: {
        key,
        model: modelCid,
        dataset: datasetCid,
        criteria,
        ...(reused == null ? {} : { run, reuse: { key: reused.key, publisher: reused.publisher } })
      },
      ...(o.user == null ? {} : { user: o.user })
    }, { ...options, choose: rendezvous(key, modelCid, datasetCid) })
    if (sent.duplicate && sent.job.state === 'succeeded') {
      return { key, cached: true, job: sent.job, node: sent.node, reason: 'already evaluated: nothing was run' }
    }
    if (sent.duplicate && isFinal(sent.job.state) && attempt < C.MAX_EVAL_RERUNS) {
      // that attempt ended without a result (failed or cancelled): run the next one
      id = nextEvalJobId(key, sent.job.id)
      continue
    }
    const rerun = failed != null || attempt > 0
    let reason = sent.duplicate
      ? 'already running: following that run'
      : rerun ? `the last evaluation failed${failed?.reason == null ? '' : ` (${failed.reason})`}: running it again` : sent.reason
    if (reused != null && !sent.duplicate) reason = `reusing ${reused.criteria.join(',')} from ${reused.key}: computing only ${run!.join(',')}${reason == null ? '' : `; ${reason}`}`
    return { key, cached: false, job: sent.job, node: sent.node, reason, ...(reused == null ? {} : { reused }) }
  }
}
