import { createHash } from 'node:crypto'
import { getRecord, putRecord, signRecord } from '../../net/records.js'
import { paipLogger } from '../../logger.js'
import { createRouting } from '../../net/routing.js'
import * as C from '../constants.js'
import { EvalNotFoundError, NoCandidateError } from '../errors.js'
import { evalCid, evalKey, normalizeCriteria, parseEvalKey } from './key.js'
import { evalRecords } from './records.js'
import type { EvalRecord } from './records.js'
import type { Jobs } from '../index.js'
import type { Job } from '../types.js'
import type { Offer } from '../wire.js'
import type { RecordHost, RecordNamespace, SignedRecord } from '../../net/records.js'
import type { Routing } from '../../net/routing.js'
import type { BlobStore } from '../../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, PrivateKey, Startable } from '@libp2p/interface'

export { evalKey, evalCid, normalizeCriteria } from './key.js'
export { evalRecords, decodeEvalRecord } from './records.js'
export type { EvalRecord } from './records.js'

/**
 * Evaluations (seed 003): a model run on a dataset under some criteria, never twice. The key
 * follows from the model CID, the dataset CID and the criteria. Before anything runs, the DHT
 * is asked for a signed result record under that key; only when there is none (or the last
 * attempt failed) is an evaluation job dispatched to a node holding the dataset and model,
 * which publishes a `running` record at once and the result when it ends. When a finished result
 * covers some of the criteria, only the missing ones are asked of the evaluator and the two
 * results are merged.
 */

export interface EvalOrder {
  /** Model reference (name, ID or CID) known to the nodes holding the dataset. */
  model: string
  dataset: string
  criteria?: string[]
  /** The evaluator protocol (default: run the model's `evaluate` entry point). */
  protocol?: string
  /** The local user ordering it. */
  user?: string
}

export interface OrderResult {
  key: string
  /** True when a finished result existed: nothing was run. */
  cached: boolean
  /** The record found (or, for a new run, none yet). */
  record?: EvalRecord & { publisher: string }
  /** The evaluation job, when one runs (or ran) for this order. */
  job?: Job
  node?: string
  reason?: string
  /** The finished result whose criteria this run reuses (the evaluator is asked only for the others). */
  reused?: { key: string, criteria: string[], publisher: string }
}

export type EvalResult = EvalRecord & { publisher: string, seq: number, time: number }

/** One evaluation this node ran or ordered: its latest job. */
export interface EvalListing {
  key: string
  model: string
  dataset: string
  criteria: string[]
  state: Job['state']
  job: string
  node: string
  user?: string
  createdAt: number
  finishedAt?: number
}

/** The job ID of the attempt after `previous` (`eval-<key>`, then `eval-<key>-2`, `-3`...). */
export function nextEvalJobId (key: string, previous: string): string {
  const match = previous.startsWith(`eval-${key}-`) ? /^(\d+)$/.exec(previous.slice(`eval-${key}-`.length)) : null
  return `eval-${key}-${match == null ? 2 : Number(match[1]) + 1}`
}

export interface Evaluations extends Startable {
  order: (order: EvalOrder, options?: AbortOptions) => Promise<OrderResult>
  /** The best record under a key, from anywhere on the grid. */
  result: (key: string, options?: AbortOptions) => Promise<EvalResult>
  /** The evaluations this node ran or ordered, newest first. */
  list: (options?: AbortOptions) => Promise<EvalListing[]>
  /** Withdraws this node's result for a key, so that the next order runs it again. */
  remove: (key: string, options?: AbortOptions) => Promise<EvalRecord>
  readonly records: RecordNamespace<EvalRecord>
}

export interface EvaluationsComponents {
  jobs: Jobs
  host: Libp2p<any>
  /** The node's announce-and-discover service (results are announced and their publishers found through it); default: one on `host`. */
  routing?: Routing
  privateKey: PrivateKey
  blobs: BlobStore
  logger?: ComponentLogger
}

export interface EvaluationsInit {
  /** The record namespace registered with the DHT (share the one given to createHost). */
  records?: RecordNamespace<EvalRecord>
  lookupTimeout?: number
}

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

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])
const RANK: Record<EvalRecord['state'], number> = { succeeded: 3, running: 2, failed: 1 }

/** Rendezvous choice: every orderer picks the same holder for the same key. */
function rendezvous (key: string, model: string, dataset: string) {
  return (offers: Offer[]): Offer | undefined => {
    const score = (o: Offer): string => createHash('sha256').update(`${o.peer}:${key}`).digest('hex')
    return offers.filter(o => o.model?.cid === model && o.dataset?.cid === dataset)
      .sort((a, b) => score(a) < score(b) ? -1 : 1)[0]
  }
}

export function createEvaluations (components: EvaluationsComponents, init: EvaluationsInit = {}): Evaluations {
  const { jobs, host, privateKey, blobs } = components
  const log = (components.logger ?? paipLogger()).forComponent('paip:jobs:eval')
  const records = init.records ?? evalRecords()
  const self = host.peerId.toString()
  const recordHost = host as unknown as RecordHost
  const routing = components.routing ?? createRouting({ host, logger: components.logger ?? paipLogger() })
  const chains = new Map<string, Promise<void>>()
  const lastSeq = new Map<string, number>()
  const timeout = init.lookupTimeout ?? C.EVAL_LOOKUP_TIMEOUT
  /** Keys withdrawn with `remove` since the node started (left out of `list` until run again). */
  const removed = new Set<string>()

  function deadline (options: AbortOptions = {}): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(timeout), ...(options.signal == null ? [] : [options.signal])])
  }

  async function lookup (key: string, options: AbortOptions = {}): Promise<Array<SignedRecord<EvalRecord>>> {
    const cid = parseEvalKey(key)
    const publishers = new Set<string>([self])
    for await (const provider of routing.providers(cid, { signal: deadline(options), timeout })) publishers.add(provider.toString())
    const found = await Promise.all([...publishers].map(async publisher => {
      try {
        const r = await getRecord(recordHost, records, publisher, key, { signal: deadline(options) })
        return r.value.key === key && r.name === key ? r : undefined
      } catch { return undefined }
    }))
    return found.filter((r): r is SignedRecord<EvalRecord> => r != null)
      .sort((a, b) => (RANK[b.value.state] - RANK[a.value.state]) || (b.time - a.time))
  }

  async function publish (value: EvalRecord): Promise<void> {
    const seq = Math.max(Date.now(), (lastSeq.get(value.key) ?? 0) + 1)
    lastSeq.set(value.key, seq)
    const record = await signRecord(privateKey, { namespace: records.namespace, name: value.key, seq, value })
    try {
      await putRecord(recordHost, records, record)
    } catch (err: any) {
      log.error('could not store evaluation record %s: %s', value.key, err?.message)
    }
    // a node alone keeps the key and announces it once it has peers
    await routing.announce([evalCid(value.model, value.dataset, value.criteria)], { signal: AbortSignal.timeout(timeout) })
  }

  /** Every proper non-empty subset of the criteria (none above MAX_EVAL_REUSE_CRITERIA), largest first. */
  function subsets (criteria: string[]): string[][] {
    if (criteria.length < 2 || criteria.length > C.MAX_EVAL_REUSE_CRITERIA) return []
    const out: string[][] = []
    for (let mask = 1; mask < (1 << criteria.length) - 1; mask++) out.push(criteria.filter((_, i) => (mask & (1 << i)) !== 0))
    return out.sort((a, b) => b.length - a.length)
  }

  /** The finished result covering the most of the criteria (a proper subset of them), if any. */
  async function reusable (model: string, dataset: string, criteria: string[], options: AbortOptions): Promise<SignedRecord<EvalRecord> | undefined> {
    const subs = subsets(criteria)
    if (subs.length === 0) return undefined
    const found = await Promise.all(subs.map(async sub => (await lookup(evalKey(model, dataset, sub), options))[0]))
    const remote = found.find(r => r != null && r.value.state === 'succeeded' && r.value.reused == null)
    if (remote != null) return remote
    // this node's own finished evaluations (when the DHT has no peer to hold its records yet)
    const keys = new Map(subs.map(sub => [evalKey(model, dataset, sub), sub]))
    const own = (await list(options)).find(e => keys.has(e.key) && e.state === 'succeeded')
    if (own == null) return undefined
    const job = await jobs.status(own.job, options)
    if (job.evaluation?.reuse != null) return undefined
    return { publisher: self, value: { key: own.key, model, dataset, criteria: keys.get(own.key) as string[], state: 'succeeded', job: own.job, node: self } } as unknown as SignedRecord<EvalRecord>
  }

  /**
   * The metrics of a run that reused a finished result: the reused metrics and the evaluator's,
   * the reused ones winning on names both have. The reused record is fetched here, signed, by
   * the node that runs the job (never taken from the order).
   */
  async function merged (spec: NonNullable<Job['evaluation']>, metrics: unknown): Promise<{ metrics?: unknown, reused?: EvalRecord['reused'], reason?: string }> {
    const reuse = spec.reuse as { key: string, publisher: string }
    let old: SignedRecord<EvalRecord> | undefined
    try {
      old = await getRecord(recordHost, records, reuse.publisher, reuse.key, { signal: deadline() })
    } catch (err: any) {
      log('reused evaluation %s: %s', reuse.key, err?.message)
    }
    let v = old?.value
    if (v == null && reuse.publisher === self) {
      const own = (await list()).find(e => e.key === reuse.key && e.state === 'succeeded')
      const job = own == null ? undefined : await jobs.status(own.job).catch(() => undefined)
      if (job?.evaluation != null && job.evaluation.reuse == null) {
        v = { key: own!.key, model: own!.model, dataset: own!.dataset, criteria: own!.criteria, state: 'succeeded', job: own!.job, node: self, metrics: await metricsOf(job) }
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

  async function metricsOf (job: Job): Promise<unknown> {
    const file = job.outputs.find(o => o.path === C.EVAL_RESULT_FILE)
    if (file == null || file.size > C.MAX_EVAL_RESULT_BYTES) return undefined
    const chunks: Uint8Array[] = []
    for await (const chunk of blobs.get(file.cid)) chunks.push(chunk)
    try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { return undefined }
  }

  /** Publishes the records of this node's evaluation jobs as they start and end (in order per key). */
  function onJob (job: Job): void {
    const spec = job.evaluation
    if (spec == null || job.node !== self) return
    const first = job.state === 'queued' && job.attempts === 0
    if (!first && !FINAL.has(job.state)) return
    const work = async (): Promise<void> => {
      const base = { key: spec.key, model: spec.model, dataset: spec.dataset, criteria: spec.criteria, job: job.id, node: self }
      if (first) { await publish({ ...base, state: 'running' }); return }
      let metrics = job.state === 'succeeded' ? await metricsOf(job) : undefined
      let state: EvalRecord['state'] = job.state === 'succeeded' ? 'succeeded' : 'failed'
      let reason = job.reason
      let reused: EvalRecord['reused']
      if (state === 'succeeded' && spec.reuse != null) {
        const m = await merged(spec, metrics)
        if (m.reason != null) {
          state = 'failed'
          reason = m.reason
        }
        metrics = m.metrics ?? metrics
        reused = m.reused
      }
      await publish({
        ...base,
        state,
        outputs: job.outputs.slice(0, 256),
        finishedAt: job.finishedAt ?? Date.now(),
        ...(metrics === undefined ? {} : { metrics }),
        ...(reason == null ? {} : { reason }),
        ...(reused == null ? {} : { reused })
      })
    }
    const next = (chains.get(spec.key) ?? Promise.resolve()).then(work).catch((err: any) => { log.error('evaluation record %s: %s', spec.key, err?.message) })
    chains.set(spec.key, next)
  }

  async function order (o: EvalOrder, options: AbortOptions = {}): Promise<OrderResult> {
    const criteria = normalizeCriteria(o.criteria)
    const offers = (await jobs.offers(o.dataset, o.model, options)).filter(x => x.holds && x.dataset != null && x.model != null)
    if (offers.length === 0) throw new NoCandidateError(`no node holding both ${o.dataset} and ${o.model} answered`, { dataset: o.dataset, model: o.model })
    const modelCid = (offers[0].model as { cid: string }).cid
    const datasetCid = (offers[0].dataset as { cid: string }).cid
    const key = evalKey(modelCid, datasetCid, criteria)

    const found = await lookup(key, options)
    const best = found[0]
    if (best != null && best.value.state === 'succeeded') {
      return { key, cached: true, record: { ...best.value, publisher: best.publisher }, node: best.publisher, reason: 'already evaluated: nothing was run' }
    }
    if (best != null && best.value.state === 'running') {
      try {
        const job = await jobs.status(best.value.job, options)
        if (!FINAL.has(job.state)) {
          return { key, cached: false, record: { ...best.value, publisher: best.publisher }, job, node: job.node, reason: 'already running: following that run' }
        }
        if (job.state === 'succeeded') return { key, cached: true, job, node: job.node, record: { ...best.value, publisher: best.publisher }, reason: 'already evaluated: nothing was run' }
      } catch (err: any) {
        log('the running evaluation %s is gone: %s', key, err?.message)
      }
    }
    // a failed (or removed) evaluation runs again, as the next job ID after the failed one's, so
    // that orderers who saw the same failure still share one rerun
    const failed = best != null && best.value.state === 'failed' ? best.value : undefined
    // a finished result of some of the criteria: the evaluator is asked only for the others
    const reuse = await reusable(modelCid, datasetCid, criteria, options)
    const reused = reuse == null ? undefined : { key: reuse.value.key, criteria: reuse.value.criteria, publisher: reuse.publisher }
    const run = reused == null ? undefined : criteria.filter(c => !reused.criteria.includes(c))
    let id = failed == null ? `eval-${key}` : nextEvalJobId(key, failed.job)
    for (let attempt = 0; ; attempt++) {
      const sent = await jobs.run({
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
      if (sent.duplicate && FINAL.has(sent.job.state) && attempt < C.MAX_EVAL_RERUNS) {
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

  /** The evaluations this node ran or ordered (from its jobs), newest first, one per key. */
  async function list (options: AbortOptions = {}): Promise<EvalListing[]> {
    const byKey = new Map<string, EvalListing>()
    for (const job of await jobs.list({ ...options, limit: C.MAX_LISTED_EVALS })) {
      const spec = job.evaluation
      if (spec == null || byKey.has(spec.key) || removed.has(spec.key)) continue
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

  /**
   * Withdraws this node's result for a key: publishes a `failed` record with reason `removed`
   * over its own (same publisher, higher seq: it replaces it on every DHT node), so the next
   * order runs the evaluation again; and leaves it out of `list`.
   */
  async function remove (key: string, options: AbortOptions = {}): Promise<EvalRecord> {
    parseEvalKey(key)
    const own = (await lookup(key, options)).find(r => r.publisher === self)
    const listed = (await list(options)).find(e => e.key === key)
    if (own == null && listed == null) throw new EvalNotFoundError(key)
    const base = own?.value ?? { key, model: listed!.model, dataset: listed!.dataset, criteria: listed!.criteria, job: listed!.job, node: listed!.node }
    const value: EvalRecord = { key, model: base.model, dataset: base.dataset, criteria: base.criteria, job: base.job, node: base.node, state: 'failed', reason: 'removed', finishedAt: Date.now() }
    await publish(value)
    removed.add(key)
    return value
  }

  return {
    records,
    async start () { jobs.events.on('job', onJob) },
    async stop () {
      jobs.events.off('job', onJob)
      await Promise.all([...chains.values()])
    },
    order,
    list,
    remove,
    async result (key, options) {
      parseEvalKey(key)
      const best = (await lookup(key, options))[0]
      if (best == null) throw new EvalNotFoundError(key)
      return { ...best.value, publisher: best.publisher, seq: best.seq, time: best.time }
    }
  }
}
