import { PaipError, isPaipError } from '../errors.js'
import { KIND_STATUS } from './errors.js'
import type { ErrorBody } from './errors.js'
import type { ErrorKind } from '../errors.js'

/** The disk the node writes to is full (ENOSPC from a write anywhere): 507. */
export class StorageFullError extends PaipError {
  static name = 'StorageFullError'
  name = 'StorageFullError'
  constructor (options?: ErrorOptions) { super('the node\'s disk is full: nothing was stored (ask its admin to free space)', 'no-space', undefined, options) }
}

export function errorBody (name: string, kind: ErrorKind, message: string, details?: unknown): ErrorBody {
  return { error: { name, kind, message, ...(details === undefined ? {} : { details }) } }
}

/** The one place errors become HTTP answers. */
export function errorResponse (err: any): { status: number, body: ErrorBody } {
  if (!isPaipError(err) && isNoSpace(err)) err = new StorageFullError({ cause: err })
  if (isPaipError(err)) {
    return { status: KIND_STATUS[err.kind] ?? 500, body: errorBody(err.name, err.kind, err.message, err.details) }
  }
  if (err instanceof URIError) {
    return { status: 400, body: errorBody('InvalidRequestError', 'invalid-input', `malformed percent-encoding in the URL: ${err.message}`) }
  }
  if (Array.isArray(err?.validation)) {
    return { status: 400, body: errorBody('InvalidRequestError', 'invalid-input', err.message, { problems: err.validation }) }
  }
  const status = typeof err?.statusCode === 'number' ? err.statusCode : 500
  if (status === 413) return { status, body: errorBody('BodyTooLargeError', 'too-large', err.message) }
  if (status === 415) return { status, body: errorBody('UnsupportedMediaTypeError', 'invalid-input', err.message) }
  if (status >= 400 && status < 500) return { status, body: errorBody('InvalidRequestError', 'invalid-input', err.message) }
  if (status === 503) return { status, body: errorBody('UnavailableError', 'unavailable', err.message ?? 'the node is shutting down') }
  return { status: 500, body: errorBody('InternalError', 'internal', 'internal error (see the node\'s log)') }
}

/** True when the error, or one it was caused by, is the disk being full. */
export function isNoSpace (err: any): boolean {
  for (let e = err, depth = 0; e != null && depth < 8; e = e.cause, depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || /no space left on device/i.test(String(e.message ?? ''))) return true
  }
  return false
}
