/**
 * The base of every error paip raises on purpose. Callers and tests check `.name`
 * (stable, one class per failure a caller may handle); the HTTP layer maps `kind` to a
 * status code and the CLI maps it to an exit code, each in one place.
 */
export type ErrorKind =
  | 'invalid-input' // the caller sent something malformed or not allowed (400, exit 2)
  | 'unauthorized' // no or bad credentials (401, exit 3)
  | 'forbidden' // credentials fine, but not allowed (403, exit 3)
  | 'not-found' // the thing named does not exist (404, exit 4)
  | 'conflict' // exists already, or a state that forbids it (409, exit 5)
  | 'busy' // locked by someone else, try again later (423, exit 6)
  | 'too-large' // over a size cap (413, exit 2)
  | 'unavailable' // a peer, node or network could not be reached (503, exit 7)
  | 'timeout' // a deadline passed (504, exit 7)
  | 'corrupt' // stored or received data failed verification (500, exit 8)
  | 'no-space' // the node's disk is full (507, exit 1)
  | 'internal' // a bug or an unexpected failure (500, exit 1)

export class PaipError extends Error {
  readonly kind: ErrorKind
  /** Structured detail a program can read (shown by `--json` and in HTTP error bodies). */
  readonly details?: unknown

  constructor (message: string, kind: ErrorKind = 'internal', details?: unknown, options?: ErrorOptions) {
    super(message, options)
    this.kind = kind
    this.details = details
  }
}

/** True for errors raised on purpose by paip (as opposed to bugs). */
export function isPaipError (err: unknown): err is PaipError {
  return err instanceof PaipError
}

export class InvalidArgumentError extends PaipError {
  static name = 'InvalidArgumentError'
  name = 'InvalidArgumentError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

export class NotFoundError extends PaipError {
  static name = 'NotFoundError'
  name = 'NotFoundError'
  constructor (message: string, details?: unknown) { super(message, 'not-found', details) }
}

export class AbortedError extends PaipError {
  static name = 'AbortedError'
  name = 'AbortedError'
  constructor (message = 'the operation was aborted') { super(message, 'timeout') }
}
