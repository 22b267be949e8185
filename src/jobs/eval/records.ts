import { recordNamespace } from '../../net/records.js'
import { EVAL_NAMESPACE, MAX_EVAL_RESULT_BYTES } from '../constants.js'
import { evalKey, normalizeCriteria } from './key.js'
import type { JobOutput } from '../types.js'
import type { RecordNamespace, RecordNamespaceInit } from '../../net/records.js'

/**
 * Evaluation result records: signed by the node that ran (or runs) the evaluation, stored in
 * the DHT under `/paip-eval/<publisher>/<hash of the evaluation key>` (src/net/records.ts), and
 * found through the provider records of the key's CID. A record whose key does not follow from
 * its model, dataset and criteria is refused, like one with a bad signature.
 */
export interface EvalRecord {
  key: string
  model: string
  dataset: string
  criteria: string[]
  state: 'running' | 'succeeded' | 'failed'
  /** The job that runs it, on the publishing node. */
  job: string
  node: string
  /** The evaluator's `result.json`, when it wrote one. */
  metrics?: unknown
  outputs?: JobOutput[]
  reason?: string
  finishedAt?: number
  /** The finished result whose metrics were reused (the evaluator computed only the others). */
  reused?: { key: string, criteria: string[], publisher: string }
}

const STATES = new Set(['running', 'succeeded', 'failed'])

export function decodeEvalRecord (value: unknown): EvalRecord {
  if (typeof value !== 'object' || value === null) throw new Error('not an object')
  const v = value as Record<string, any>
  for (const field of ['key', 'model', 'dataset', 'job', 'node']) {
    if (typeof v[field] !== 'string' || v[field].length > 512) throw new Error(`bad ${field}`)
  }
  if (!Array.isArray(v.criteria) || !v.criteria.every((c: unknown) => typeof c === 'string')) throw new Error('bad criteria')
  if (!STATES.has(v.state)) throw new Error('bad state')
  const criteria = normalizeCriteria(v.criteria)
  if (evalKey(v.model, v.dataset, criteria) !== v.key) throw new Error('the key does not follow from model, dataset and criteria')
  if (v.metrics !== undefined && JSON.stringify(v.metrics).length > MAX_EVAL_RESULT_BYTES) throw new Error('metrics too large')
  if (v.reused !== undefined && (typeof v.reused !== 'object' || v.reused === null || typeof v.reused.key !== 'string' ||
    typeof v.reused.publisher !== 'string' || !Array.isArray(v.reused.criteria) || !v.reused.criteria.every((c: unknown) => typeof c === 'string'))) throw new Error('bad reused')
  if (v.outputs !== undefined && (!Array.isArray(v.outputs) || v.outputs.length > 256)) throw new Error('bad outputs')
  return { ...(v as EvalRecord), criteria }
}

export function evalRecords (init: RecordNamespaceInit = {}): RecordNamespace<EvalRecord> {
  return recordNamespace(EVAL_NAMESPACE, decodeEvalRecord, init)
}
