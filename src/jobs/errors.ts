import { PaipError } from '../errors.js'

/** The job's fields are malformed (bad ID, too many parameters, missing protocol). */
export class InvalidJobError extends PaipError {
  static name = 'InvalidJobError'
  name = 'InvalidJobError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** The job's protocol does not validate. */
export class JobProtocolInvalidError extends PaipError {
  static name = 'JobProtocolInvalidError'
  name = 'JobProtocolInvalidError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** The submitter may not run jobs on this node. */
export class JobNotAllowedError extends PaipError {
  static name = 'JobNotAllowedError'
  name = 'JobNotAllowedError'
  constructor (message: string, details?: unknown) { super(message, 'forbidden', details) }
}

/** The job names a dataset (or model) this node does not hold. */
export class DatasetNotHeldError extends PaipError {
  static name = 'DatasetNotHeldError'
  name = 'DatasetNotHeldError'
  constructor (message: string, details?: unknown) { super(message, 'not-found', details) }
}

/** No job with that ID (here, or anywhere the node could ask). */
export class JobNotFoundError extends PaipError {
  static name = 'JobNotFoundError'
  name = 'JobNotFoundError'
  constructor (id: string) { super(`no job ${id}`, 'not-found', { id }) }
}

/** A job with that ID exists and belongs to someone else, or is in a state that forbids this. */
export class JobConflictError extends PaipError {
  static name = 'JobConflictError'
  name = 'JobConflictError'
  constructor (message: string, details?: unknown) { super(message, 'conflict', details) }
}

/** No node holds the dataset, or none answered. */
export class NoCandidateError extends PaipError {
  static name = 'NoCandidateError'
  name = 'NoCandidateError'
  constructor (message: string, details?: unknown) { super(message, 'unavailable', details) }
}

/** An evaluation record failed verification (bad signature, wrong key, malformed). */
export class InvalidEvalRecordError extends PaipError {
  static name = 'InvalidEvalRecordError'
  name = 'InvalidEvalRecordError'
  constructor (message: string) { super(message, 'corrupt') }
}

/** No evaluation result under that key. */
export class EvalNotFoundError extends PaipError {
  static name = 'EvalNotFoundError'
  name = 'EvalNotFoundError'
  constructor (key: string) { super(`no evaluation result for ${key}`, 'not-found', { key }) }
}

/** The jobs component was stopped. */
export class JobsStoppedError extends PaipError {
  static name = 'JobsStoppedError'
  name = 'JobsStoppedError'
  constructor () { super('the jobs component is stopped', 'unavailable') }
}

/** Nothing isolates jobs on this node (no bwrap, no container engine) and the submitter is not its admin. */
export class NoIsolationError extends PaipError {
  static name = 'NoIsolationError'
  name = 'NoIsolationError'
  constructor (message: string, details?: unknown) { super(message, 'forbidden', details) }
}

/** A task role asks for more GPUs, CPUs or memory than this node offers. */
export class JobResourcesError extends PaipError {
  static name = 'JobResourcesError'
  name = 'JobResourcesError'
  constructor (message: string, details?: unknown) { super(message, 'unavailable', details) }
}
