import { PaipError } from '../errors.js'
import type { ErrorKind } from '../errors.js'

// the error shapes a client reads are the client's; the server answers with the same
export { ApiError, BadApiResponseError, NodeNotRunningError } from '../client/errors.js'
export type { ErrorBody } from '../client/errors.js'

/** The request body was over the API's size cap. */
export class BodyTooLargeError extends PaipError {
  static name = 'BodyTooLargeError'
  name = 'BodyTooLargeError'
  constructor (message: string) { super(message, 'too-large') }
}

/** No or a bad token. */
export class UnauthorizedError extends PaipError {
  static name = 'UnauthorizedError'
  name = 'UnauthorizedError'
  constructor (message = 'a valid token is required: pass `Authorization: Bearer <token>`') { super(message, 'unauthorized') }
}

/** A valid token that is not allowed to do this. */
export class ForbiddenError extends PaipError {
  static name = 'ForbiddenError'
  name = 'ForbiddenError'
  constructor (message = 'this token is not allowed to do that') { super(message, 'forbidden') }
}

/** The one place PaipError kinds become HTTP statuses. */
export const KIND_STATUS: Record<ErrorKind, number> = {
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  busy: 423,
  unavailable: 503,
  timeout: 504,
  corrupt: 500,
  'no-space': 507,
  internal: 500
}

