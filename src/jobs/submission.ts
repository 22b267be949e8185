import * as C from './constants.js'
import { evalKey, normalizeCriteria } from './eval/key.js'
import { InvalidJobError } from './errors.js'
import type { Job, JobSubmission, LocalContent, StoredJob } from './types.js'

/** The status anyone may see: the stored record without the protocol text. */
export function publicJob (job: StoredJob): Job {
  const { protocol, pid, ...status } = job
  void protocol
  void pid
  return status
}

export function checkSubmission (s: JobSubmission): void {
  if (typeof s.id !== 'string' || !C.JOB_ID_PATTERN.test(s.id)) throw new InvalidJobError('a job ID is 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit')
  if (typeof s.protocol !== 'string' || s.protocol === '') throw new InvalidJobError('the job has no protocol')
  if (Buffer.byteLength(s.protocol) > C.MAX_PROTOCOL_BYTES) throw new InvalidJobError(`the protocol is over ${C.MAX_PROTOCOL_BYTES} bytes`)
  for (const [what, map] of [['parameters', s.parameters], ['secrets', s.secrets]] as const) {
    if (map == null) continue
    if (typeof map !== 'object' || Array.isArray(map)) throw new InvalidJobError(`${what} must be an object of strings`)
    const entries = Object.entries(map)
    if (entries.length > C.MAX_PARAMS) throw new InvalidJobError(`more than ${C.MAX_PARAMS} ${what}`)
    for (const [k, v] of entries) {
      if (typeof v !== 'string' || v.length > C.MAX_PARAM_VALUE || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) throw new InvalidJobError(`bad ${what} entry ${JSON.stringify(k)}`)
    }
  }
  if (s.timeLimit != null && (!Number.isSafeInteger(s.timeLimit) || s.timeLimit <= 0)) throw new InvalidJobError('timeLimit must be a positive number of milliseconds')
}

/** `eval-<key>` (the first run of an evaluation) or `eval-<key>-<n>` (the n-th, after failures). */
function isEvalJobId (id: string, key: string): boolean {
  return id === `eval-${key}` || new RegExp(`^eval-${key}-[1-9][0-9]{0,5}$`).test(id)
}

/**
 * An evaluation job must evaluate what its key says: the model and dataset this node resolved
 * are the ones in the key, and the key follows from them and the criteria. Otherwise a
 * submitter could have this node sign a result for an evaluation that never ran.
 */
export function checkEvaluation (s: JobSubmission, dataset?: LocalContent, model?: LocalContent): void {
  const e = s.evaluation as NonNullable<JobSubmission['evaluation']>
  if (typeof e !== 'object' || !Array.isArray(e.criteria) || typeof e.key !== 'string') throw new InvalidJobError('malformed evaluation')
  if (dataset == null || model == null || dataset.cid !== e.dataset || model.cid !== e.model) {
    throw new InvalidJobError('an evaluation job must name the dataset and model of its key')
  }
  const criteria = normalizeCriteria(e.criteria)
  if (evalKey(e.model, e.dataset, criteria) !== e.key || !isEvalJobId(s.id, e.key)) throw new InvalidJobError('the evaluation key does not follow from its model, dataset and criteria')
  let reuse: { run: string[], reuse: { key: string, publisher: string } } | undefined
  if (e.run != null || e.reuse != null) {
    const run = Array.isArray(e.run) ? normalizeCriteria(e.run) : []
    if (run.length === 0 || !run.every(c => criteria.includes(c)) || run.length === criteria.length) throw new InvalidJobError('an evaluation\'s run criteria must be some of its criteria')
    if (typeof e.reuse !== 'object' || e.reuse == null || typeof e.reuse.key !== 'string' || typeof e.reuse.publisher !== 'string' ||
      e.reuse.key.length > 512 || e.reuse.publisher.length > 512) throw new InvalidJobError('malformed evaluation reuse')
    reuse = { run, reuse: { key: e.reuse.key, publisher: e.reuse.publisher } }
  }
  s.evaluation = { key: e.key, model: e.model, dataset: e.dataset, criteria, ...reuse }
}

