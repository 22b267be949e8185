import type { JobLimits, RuntimeName } from './runtime/types.js'
import type { AbortOptions } from '@libp2p/interface'

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

/** Which runtime ran (or will run) a job's commands. */
export type JobRuntime = RuntimeName

/** Who submitted a job: the node it came from (its peer ID) and that node's user, if known. */
export interface Submitter {
  peer: string
  user?: string
}

/** What a client sends to have a job run. */
export interface JobSubmission {
  /** Chosen by the client (a retry with the same ID never starts the job twice). */
  id: string
  /** The OpenPAI protocol (v2 YAML text). */
  protocol: string
  parameters?: Record<string, string>
  /** Rendered into commands only; never stored in status or logs. */
  secrets?: Record<string, string>
  /** A dataset reference this node must hold (`#MNIST`, a name, an ID or a CID). */
  dataset?: string
  /** A model reference (its files are given to the job when this node holds them). */
  model?: string
  /** A shorter time limit than the node's (ms). */
  timeLimit?: number
  /** Set when the job is an evaluation (its result is published as a signed record). */
  evaluation?: EvalSpec
}

/** Identifies an evaluation: the key is derived from the three others. */
export interface EvalSpec {
  key: string
  model: string
  dataset: string
  criteria: string[]
  /** The criteria the evaluator is asked for, when a finished result gives the others. */
  run?: string[]
  /** The finished result (key and publisher) whose metrics give the criteria not in `run`. */
  reuse?: { key: string, publisher: string }
}

/** A dataset or model as the node's catalog describes it. */
export interface ContentInfo {
  id: string
  name: string
  cid: string
  tags: string[]
}

/** A dataset or model held by this node, with the local directory of its files. */
export interface LocalContent extends ContentInfo {
  dir: string
  /** For a model: the file (inside `dir`) an evaluation runs. */
  entrypoint?: string
}

/**
 * The narrow view of the catalog the jobs component needs. The node wires an adapter over
 * the catalog; tests use a small in-memory one.
 */
export interface ContentResolver {
  /** The dataset (or model) this node holds for a reference, or undefined. */
  resolve: (ref: string, options?: AbortOptions) => Promise<LocalContent | undefined>
  /** Peer IDs of nodes that hold content matching the reference (e.g. providers of a tag). */
  findHolders?: (ref: string, options?: AbortOptions) => Promise<string[]>
}

/** One file a job wrote to its output directory, stored in the blob store. */
export interface JobOutput {
  /** Relative to the output directory, `/`-separated. */
  path: string
  cid: string
  size: number
}

/** A job's status, as anyone allowed to see it gets it (never contains secrets). */
export interface Job {
  id: string
  state: JobState
  /** Why it failed or was cancelled. */
  reason?: string
  /** The protocol's `name`. */
  name: string
  submitter: Submitter
  /** The peer ID of the node that runs it. */
  node: string
  runtime: JobRuntime
  /** What one instance may use (memory, CPU, processes, network), and what enforces it. */
  limits?: JobLimits
  parameters: Record<string, string>
  /** Names (never values) of the secrets the job was given. */
  secrets: string[]
  dataset?: ContentInfo
  model?: ContentInfo
  evaluation?: EvalSpec
  createdAt: number
  startedAt?: number
  finishedAt?: number
  /** Runs so far (1 + retries). */
  attempts: number
  /** Retries the protocol allows after a failure (its `taskRetryCount`, or `jobRetryCount`). */
  retries: number
  timeLimit: number
  exitCode?: number
  outputs: JobOutput[]
  /** Bytes of log held. */
  logBytes: number
}

/** What is kept in the database: the status plus what is needed to run it again. */
export interface StoredJob extends Job {
  protocol: string
  /** Process group of the instance running now (to kill leftovers after a crash). */
  pid?: number
}

export interface JobEvent {
  type: 'state' | 'log'
  job: Job
}

/** Where `run` finds a published protocol's text (e.g. marketplace pull + readFile). */
export interface ProtocolSource {
  load: (ref: string, options?: AbortOptions) => Promise<string>
}
