import type { EvalRecord } from './records.js'
import type { Job } from '../types.js'
import type { RecordNamespace } from '../../net/records.js'
import type { AbortOptions, Startable } from '@libp2p/interface'

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
