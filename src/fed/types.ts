export type FedState = 'running' | 'succeeded' | 'failed' | 'cancelled'

/** What `paip fed run` asks for. */
export interface FedRunRequest {
  /** The run ID (default: a new one); sending the same ID again returns the existing run. */
  id?: string
  /** The training protocol (OpenPAI v2 YAML text). */
  train: string
  /** The aggregation protocol (OpenPAI v2 YAML text), run on the coordinator. */
  aggregate: string
  /** The dataset tag (`#tag`) whose holders train. */
  dataset: string
  rounds: number
  /** Fewest updates a round needs (default 1). */
  minNodes?: number
  /** Share of the holders asked each round (0 < f <= 1, default 1). */
  fraction?: number
  /** The initial global model (a catalog model of this node: name or manifest CID). */
  init: string
  /** Pairwise-masked updates: the coordinator learns only their sum. */
  secure?: boolean
  /** Parameters of the training protocol. */
  parameters?: Record<string, string>
  /** Longest one round waits for workers (ms). */
  roundTimeout?: number
  /** The user who asked (on the coordinator). */
  user?: string
  /** Name of the model versions (`<name>-r<round>`; default `fed-<id>`). */
  name?: string
}

/** One worker of a round, as the coordinator saw it. */
export interface FedWorker {
  peer: string
  /** `ok` (its update counted), `dropped` (failed, too slow, gone), `refused` (not allowed, not holding). */
  state: 'ok' | 'dropped' | 'refused'
  samples?: number
  /** CID of the update it sent (verified). */
  update?: string
  bytes?: number
  reason?: string
  /** ms from the request to the update. */
  ms?: number
  /** ms the worker's own training job ran. */
  computeMs?: number
}

export interface FedRound {
  round: number
  attempt: number
  /** Model the round started from (manifest CID). */
  from: string
  /** The new global model version (manifest CID), when the round ended. */
  model?: string
  modelName?: string
  workers: FedWorker[]
  startedAt: number
  finishedAt?: number
  /** Bytes of updates received (and of masks revealed, with `secure`). */
  bytesIn?: number
  /** Bytes of requests sent to workers. */
  bytesOut?: number
  /** ms of the aggregation step (job and registration). */
  aggregateMs?: number
}

/** A federated run, as its coordinator stores it (and anyone may see it). */
export interface FedRun {
  id: string
  state: FedState
  reason?: string
  coordinator: string
  user?: string
  name: string
  dataset: string
  rounds: number
  minNodes: number
  fraction: number
  secure: boolean
  roundTimeout: number
  parameters: Record<string, string>
  /** The initial model (manifest CID). */
  init: string
  /** The current global model (manifest CID). */
  model: string
  /** The round in progress (1-based), or the last one when ended. */
  round: number
  /** Attempts of the round in progress that failed so far. */
  attempt?: number
  history: FedRound[]
  createdAt: number
  updatedAt: number
}

/** What the coordinator keeps besides the public status. */
export interface StoredFedRun extends FedRun {
  train: string
  aggregate: string
}
