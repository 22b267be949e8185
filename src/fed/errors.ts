import { PaipError } from '../errors.js'

/** A `paip fed run` request is malformed (rounds, fraction, min nodes, protocol). */
export class InvalidFedRunError extends PaipError {
  static name = 'InvalidFedRunError'
  name = 'InvalidFedRunError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** No run with this ID is known here or on the grid. */
export class FedRunNotFoundError extends PaipError {
  static name = 'FedRunNotFoundError'
  name = 'FedRunNotFoundError'
  constructor (id: string) { super(`no federated run ${id}`, 'not-found', { id }) }
}

/** The coordinator may not train on this node (config `fed.allowPeers`). */
export class FedNotAllowedError extends PaipError {
  static name = 'FedNotAllowedError'
  name = 'FedNotAllowedError'
  constructor (message: string, details?: unknown) { super(message, 'forbidden', details) }
}

/** A worker's update failed verification (hash, shape, sample count). */
export class BadUpdateError extends PaipError {
  static name = 'BadUpdateError'
  name = 'BadUpdateError'
  constructor (message: string, details?: unknown) { super(message, 'corrupt', details) }
}

/** A worker's training job did not succeed. */
export class TrainingFailedError extends PaipError {
  static name = 'TrainingFailedError'
  name = 'TrainingFailedError'
  constructor (message: string, details?: unknown) { super(message, 'conflict', details) }
}

/** A secure round's keys are missing or carry a bad signature. */
export class BadFedKeyError extends PaipError {
  static name = 'BadFedKeyError'
  name = 'BadFedKeyError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** The run has ended: it cannot be cancelled or resumed. */
export class FedRunEndedError extends PaipError {
  static name = 'FedRunEndedError'
  name = 'FedRunEndedError'
  constructor (id: string, state: string) { super(`federated run ${id} has already ended (${state})`, 'conflict', { id, state }) }
}

/** One attempt of a round got fewer updates than it needs (the coordinator tries the round again). */
export class RoundFailedError extends Error {
  name = 'RoundFailedError'
}
