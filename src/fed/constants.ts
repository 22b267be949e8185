import { second, minute } from '../time.js'

/** The stream protocol between a coordinator and the nodes that train for it. */
export const FED_PROTOCOL = '/paip/fed/1.0.0'
/** Largest message on the fed protocol (an update travels in one). */
export const MAX_FED_MESSAGE_BYTES = 32 * 1024 * 1024
/** Longest one round may take before the workers still training are left out (ms). */
export const ROUND_TIMEOUT = 10 * minute
/** Deadline of the short exchanges (keys, unmask, status, cancel) (ms). */
export const FED_RPC_TIMEOUT = 15 * second
/** Most rounds one run may ask for. */
export const MAX_ROUNDS = 10_000
/** Most workers one round uses. */
export const MAX_WORKERS = 256
/** How often the coordinator looks again for enough holders before a round starts (ms). */
export const HOLDERS_RETRY = 2 * second
/** A round that got fewer than `minNodes` updates is tried this many times before the run fails. */
export const ROUND_ATTEMPTS = 3
/** Most log lines kept per run. */
export const MAX_LOG_LINES = 10_000
/** How often a worker looks at its training job's state while it waits (ms). */
export const JOB_POLL = 100
/** Fixed-point scale of secure aggregation (values are encoded as round(v * SCALE) mod 2^64). */
export const SECURE_SCALE = 2 ** 24
/** Tag of the model versions and update sets a run registers. */
export const FED_TAG = '#paip-fed'
