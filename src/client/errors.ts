import { PaipError } from '../errors.js'
import type { ErrorKind } from '../errors.js'

/** The JSON body of every error the HTTP API answers with. */
export interface ErrorBody {
  error: {
    name: string
    kind: ErrorKind
    message: string
    details?: unknown
  }
}

/** An error the node's HTTP API answered with, carried over with its kind and name. */
export class ApiError extends PaipError {
  static name = 'ApiError'
  name = 'ApiError'
  constructor (readonly remoteName: string, message: string, kind: ErrorKind, details?: unknown, readonly status?: number) {
    super(message, kind, details)
  }
}

/** Nothing listens at the API URL: the node is not running. */
export class NodeNotRunningError extends PaipError {
  static name = 'NodeNotRunningError'
  name = 'NodeNotRunningError'
  constructor (readonly url: string, options?: ErrorOptions) {
    super(`no node running at ${url}: start one with \`paip daemon\``, 'unavailable', { url }, options)
  }
}

/** The API answered with something that is not what the client expected. */
export class BadApiResponseError extends PaipError {
  static name = 'BadApiResponseError'
  name = 'BadApiResponseError'
  constructor (message: string, details?: unknown) { super(message, 'unavailable', details) }
}

const KINDS = new Set<ErrorKind>(['invalid-input', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'busy', 'too-large', 'unavailable', 'timeout', 'corrupt', 'no-space', 'internal'])

/** True when `body` has the shape of an API error body. */
export function isErrorBody (body: unknown): body is ErrorBody {
  const error = (body as any)?.error
  return error != null && typeof error === 'object' && typeof error.message === 'string'
}

/** The kind of an error body, or the kind its HTTP status implies. */
export function kindOf (body: ErrorBody | undefined, status: number): ErrorKind {
  const kind = body?.error.kind
  if (kind != null && KINDS.has(kind)) return kind
  return STATUS_KINDS[status] ?? (status >= 500 ? 'internal' : 'invalid-input')
}

const STATUS_KINDS: Record<number, ErrorKind> = {
  400: 'invalid-input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'too-large',
  415: 'invalid-input',
  423: 'busy',
  503: 'unavailable',
  504: 'timeout',
  507: 'no-space'
}
