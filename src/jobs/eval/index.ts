import { paipLogger } from '../../logger.js'
import { createRouting } from '../../net/routing.js'
import * as C from '../constants.js'
import { EvalNotFoundError } from '../errors.js'
import { parseEvalKey } from './key.js'
import { order } from './order.js'
import { createResultPublisher } from './publisher.js'
import { evalRecords } from './records.js'
import { listEvaluations, lookup, publish } from './results.js'
import type { EvalContext } from './context.js'
import type { EvalRecord } from './records.js'
import type { Evaluations } from './types.js'
import type { Jobs } from '../index.js'
import type { RecordHost, RecordNamespace } from '../../net/records.js'
import type { Routing } from '../../net/routing.js'
import type { BlobStore } from '../../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, PrivateKey } from '@libp2p/interface'

export { evalKey, evalCid, normalizeCriteria } from './key.js'
export { evalRecords, decodeEvalRecord } from './records.js'
export { DEFAULT_EVALUATOR, nextEvalJobId } from './order.js'
export type { EvalRecord } from './records.js'
export type { EvalListing, EvalOrder, EvalResult, Evaluations, OrderResult } from './types.js'

/**
 * Evaluations (seed 003): a model run on a dataset under some criteria, never twice. The key
 * follows from the model CID, the dataset CID and the criteria. Before anything runs, the DHT
 * is asked for a signed result record under that key; only when there is none (or the last
 * attempt failed) is an evaluation job dispatched to a node holding the dataset and model,
 * which publishes a `running` record at once and the result when it ends. When a finished result
 * covers some of the criteria, only the missing ones are asked of the evaluator and the two
 * results are merged.
 */

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
 * Withdraws this node's result for a key: publishes a `failed` record with reason `removed`
 * over its own (same publisher, higher seq: it replaces it on every DHT node), so the next
 * order runs the evaluation again; and leaves it out of `list`.
 */
async function remove (ctx: EvalContext, key: string, options: AbortOptions = {}): Promise<EvalRecord> {
  parseEvalKey(key)
  const own = (await lookup(ctx, key, options)).find(r => r.publisher === ctx.self)
  const listed = (await listEvaluations(ctx, options)).find(e => e.key === key)
  if (own == null && listed == null) throw new EvalNotFoundError(key)
  const base = own?.value ?? { key, model: listed!.model, dataset: listed!.dataset, criteria: listed!.criteria, job: listed!.job, node: listed!.node }
  const value: EvalRecord = { key, model: base.model, dataset: base.dataset, criteria: base.criteria, job: base.job, node: base.node, state: 'failed', reason: 'removed', finishedAt: Date.now() }
  await publish(ctx, value)
  ctx.removed.add(key)
  return value
}

/**
 * The evaluations component: orders (`order.ts`, reusing finished results of some of the
 * criteria: `reuse.ts`), result records on the DHT (`results.ts`), published as this node's
 * evaluation jobs start and end (`publisher.ts`).
 */
export function createEvaluations (components: EvaluationsComponents, init: EvaluationsInit = {}): Evaluations {
  const { host } = components
  const ctx: EvalContext = {
    jobs: components.jobs,
    self: host.peerId.toString(),
    privateKey: components.privateKey,
    blobs: components.blobs,
    log: (components.logger ?? paipLogger()).forComponent('paip:jobs:eval'),
    records: init.records ?? evalRecords(),
    recordHost: host as unknown as RecordHost,
    routing: components.routing ?? createRouting({ host, logger: components.logger ?? paipLogger() }),
    timeout: init.lookupTimeout ?? C.EVAL_LOOKUP_TIMEOUT,
    lastSeq: new Map(),
    removed: new Set()
  }
  const publisher = createResultPublisher(ctx)

  return {
    records: ctx.records,
    async start () { ctx.jobs.events.on('job', publisher.onJob) },
    async stop () {
      ctx.jobs.events.off('job', publisher.onJob)
      await publisher.settle()
    },
    order: async (o, options) => await order(ctx, o, options),
    list: async options => await listEvaluations(ctx, options),
    remove: async (key, options) => await remove(ctx, key, options),
    async result (key, options) {
      parseEvalKey(key)
      const best = (await lookup(ctx, key, options))[0]
      if (best == null) throw new EvalNotFoundError(key)
      return { ...best.value, publisher: best.publisher, seq: best.seq, time: best.time }
    }
  }
}
