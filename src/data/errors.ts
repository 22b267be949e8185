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

/** A file would not fit on the node's disk (or is over the node's size cap). */
export class DataTooLargeError extends PaipError {
  static name = 'DataTooLargeError'
  name = 'DataTooLargeError'
  constructor (message: string, details?: unknown) { super(message, 'too-large', details) }
}
