import { PaipError } from '../errors.js'

/** A `data://` path that is malformed (or names no file where one is needed). */
export class InvalidDataPathError extends PaipError {
  static name = 'InvalidDataPathError'
  name = 'InvalidDataPathError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** Nothing stored at a `data://` path. */
export class DataNotFoundError extends PaipError {
  static name = 'DataNotFoundError'
  name = 'DataNotFoundError'
  constructor (path: string) { super(`nothing at ${path}`, 'not-found', { path }) }
}

/** Another user's data space: only its owner and the node's admin may read or write it. */
export class DataForbiddenError extends PaipError {
  static name = 'DataForbiddenError'
  name = 'DataForbiddenError'
  constructor (path: string, user: string) { super(`${user} may not use ${path}: a data space belongs to its user (and the node's admin)`, 'forbidden', { path, user }) }
}

/** A file would not fit on the node's disk (or is over the node's size cap). */
export class DataTooLargeError extends PaipError {
  static name = 'DataTooLargeError'
  name = 'DataTooLargeError'
  constructor (message: string, details?: unknown) { super(message, 'too-large', details) }
}
