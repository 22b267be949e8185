import { second, hour } from '../time.js'

/** The stream protocol that offers, submits and controls jobs between nodes. */
export const JOBS_PROTOCOL = '/paip/jobs/1.0.0'
/** The stream protocol that streams a job's logs and output bytes (long-lived streams). */
export const JOB_DATA_PROTOCOL = '/paip/job-data/1.0.0'
/** DHT record namespace of evaluation results (`/paip-eval/<key>`). */
export const EVAL_NAMESPACE = 'paip-eval'

/*
 * The defaults of the jobs config (`jobs.*` in the node config schema, which takes them from
 * here) and of `JobsInit`.
 */
/** Jobs run at the same time on a node. */
export const SLOTS = 2
/** Longest a job may run (ms) when neither it nor the node config says less. */
export const TIME_LIMIT = hour
/** Most bytes a job may print (stdout and stderr together) before it is stopped. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024
/** Most bytes of output files collected from one job. */
export const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024
/** Where jobs run: `auto` picks a container, the sandbox or (admin only) a process. */
export const RUNTIME = 'auto'
/** The network a job reaches. */
export const NETWORK = 'none'
/** Most processes and threads of one task instance. */
export const MAX_PIDS = 1024
/** The bubblewrap executable of the sandbox runtime. */
export const BWRAP = 'bwrap'
/** Most output files collected from one job. */
export const MAX_OUTPUT_FILES = 10_000
/** Largest protocol document a job may carry. */
export const MAX_PROTOCOL_BYTES = 1024 * 1024
/** A job ID chosen by the client: letters, digits, `.`, `_`, `-`, at most 128. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
/** Most parameters or secrets on one job, and the longest value. */
export const MAX_PARAMS = 256
export const MAX_PARAM_VALUE = 64 * 1024
/** Grace between asking a finished job's process group to exit and forcing the pipes shut. */
export const PIPE_DRAIN_TIMEOUT = 2 * second
/** How long dispatch waits for candidates' offers. */
export const OFFER_TIMEOUT = 5 * second
/** Longest a `logs --follow` stream lives. */
export const FOLLOW_TIMEOUT = 24 * hour
/** Size of one log chunk message on the wire. */
export const LOG_CHUNK_BYTES = 64 * 1024
/** Most evaluation metrics bytes (the evaluator's result.json) carried in a result record. */
export const MAX_EVAL_RESULT_BYTES = 64 * 1024
/** Name of the file an evaluator writes its metrics to, in its output directory. */
export const EVAL_RESULT_FILE = 'result.json'
/** How long dispatching an evaluation waits for the DHT. */
export const EVAL_LOOKUP_TIMEOUT = 10 * second
/** An order reruns a failed evaluation; this many ended attempts found in a row at most. */
export const MAX_EVAL_RERUNS = 20
/** An order looks for finished results of subsets of its criteria to reuse up to this many criteria. */
export const MAX_EVAL_REUSE_CRITERIA = 4
/** Jobs scanned for `paip eval list`. */
export const MAX_LISTED_EVALS = 1000
/** The reason given to jobs that were running when the node stopped. */
export const NODE_RESTARTED = 'node restarted'
/** Jobs listed at most by one `list` call. */
export const LIST_LIMIT = 1000
/** Jobs sent elsewhere whose status one `list` call asks for (the newest). */
export const REMOTE_LIST_LIMIT = 100
