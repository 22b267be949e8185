import type { EvalRecord } from './records.js'
import type { Jobs } from '../index.js'
import type { RecordHost, RecordNamespace } from '../../net/records.js'
import type { Routing } from '../../net/routing.js'
import type { BlobStore } from '../../storage/blobs.js'
import type { AbortOptions, Logger, PrivateKey } from '@libp2p/interface'

/** What the parts of the evaluations component (results, reuse, order, publisher) share. */
export interface EvalContext {
  jobs: Jobs
  /** This node's peer ID. */
  self: string
  privateKey: PrivateKey
  blobs: BlobStore
  log: Logger
  records: RecordNamespace<EvalRecord>
  recordHost: RecordHost
  routing: Routing
  /** Deadline of one DHT lookup (ms). */
  timeout: number
  /** The last seq this node signed per key (a new record always has a higher one). */
  lastSeq: Map<string, number>
  /** Keys withdrawn with `remove` since the node started (left out of `list` until run again). */
  removed: Set<string>
}

/** The lookup deadline, combined with the caller's signal. */
export function deadline (ctx: EvalContext, options: AbortOptions = {}): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(ctx.timeout), ...(options.signal == null ? [] : [options.signal])])
}
