import { PaipError } from '../errors.js'

/** A publication that cannot be accepted (bad name, language, code or data reference). */
export class InvalidAlgorithmError extends PaipError {
  static name = 'InvalidAlgorithmError'
  name = 'InvalidAlgorithmError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** A code tarball with entries that would land outside its directory (`..`, absolute, links out) or are not plain files. */
export class UnsafeTarballError extends PaipError {
  static name = 'UnsafeTarballError'
  name = 'UnsafeTarballError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** No such algorithm (or version) here, or on any node that answered. */
export class AlgorithmNotFoundError extends PaipError {
  static name = 'AlgorithmNotFoundError'
  name = 'AlgorithmNotFoundError'
  constructor (ref: string, details?: unknown) { super(`no algorithm ${ref}`, 'not-found', details) }
}

/** The language's runtime (an interpreter, a container image) is not on this node. */
export class LanguageUnavailableError extends PaipError {
  static name = 'LanguageUnavailableError'
  name = 'LanguageUnavailableError'
  constructor (message: string, details?: unknown) { super(message, 'unavailable', details) }
}

/** The algorithm raised, crashed or answered something that is not JSON: its own error. */
export class AlgorithmFailedError extends PaipError {
  static name = 'AlgorithmFailedError'
  name = 'AlgorithmFailedError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** The call did not finish within its timeout (the job was stopped). */
export class AlgorithmTimeoutError extends PaipError {
  static name = 'AlgorithmTimeoutError'
  name = 'AlgorithmTimeoutError'
  constructor (message: string, details?: unknown) { super(message, 'timeout', details) }
}

/** A remote node may not call algorithms here. */
export class CallNotAllowedError extends PaipError {
  static name = 'CallNotAllowedError'
  name = 'CallNotAllowedError'
  constructor (message: string, details?: unknown) { super(message, 'forbidden', details) }
}
