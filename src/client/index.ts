import { ApiError, BadApiResponseError, NodeNotRunningError, isErrorBody, kindOf } from './errors.js'
import { API_REQUEST_TIMEOUT } from './constants.js'

export interface ApiClientInit {
  /** The node's HTTP API, e.g. `http://127.0.0.1:9292`. */
  url: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** For tests; default the global fetch. */
  fetch?: typeof globalThis.fetch
  /** Deadline of a request when the caller gives no signal (ms). */
  timeout?: number
}

export interface RequestOptions {
  signal?: AbortSignal
  /** Extra headers (e.g. `content-type` for a raw body). */
  headers?: Record<string, string>
  /** Query string parameters (undefined values are left out). */
  query?: Record<string, string | number | boolean | undefined>
}

export interface RawRequestOptions extends RequestOptions {
  method?: string
  /** A JSON-able value (sent as JSON) or a raw body (stream, bytes, string). */
  body?: unknown
  /** Send `body` as is instead of JSON. */
  raw?: boolean
}

export interface ApiClient {
  readonly url: string
  readonly token?: string
  get: <T = unknown>(path: string, options?: RequestOptions) => Promise<T>
  post: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) => Promise<T>
  put: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) => Promise<T>
  delete: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) => Promise<T>
  /**
   * The raw response (for streaming bodies in or out). Non-2xx answers are thrown as
   * errors like the other methods; the caller reads and consumes the body.
   */
  request: (path: string, options?: RawRequestOptions) => Promise<Response>
}

/**
 * A client of a node's HTTP API. Answers are parsed JSON; error answers
 * (`{ error: { name, kind, message, details } }`) are thrown as `ApiError`s with that kind;
 * a refused connection is a `NodeNotRunningError`.
 */
export function createApiClient (init: ApiClientInit): ApiClient {
  const base = init.url.replace(/\/+$/, '')
  const doFetch = init.fetch ?? globalThis.fetch
  const timeout = init.timeout ?? API_REQUEST_TIMEOUT

  async function request (path: string, options: RawRequestOptions = {}): Promise<Response> {
    const url = new URL(base + (path.startsWith('/') ? path : `/${path}`))
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (init.token != null) headers.authorization = `Bearer ${init.token}`
    let body: any
    if (options.body !== undefined) {
      if (options.raw === true) {
        body = options.body
      } else {
        body = JSON.stringify(options.body)
        headers['content-type'] = 'application/json'
      }
    }
    const signal = options.signal ?? AbortSignal.timeout(timeout)
    let response: Response
    try {
      response = await doFetch(url, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal,
        // a streaming request body needs half-duplex
        ...(body != null && typeof body === 'object' && typeof body.getReader === 'function' ? { duplex: 'half' } : {})
      } as RequestInit)
    } catch (err: any) {
      if (isConnectionRefused(err)) throw new NodeNotRunningError(base, { cause: err })
      throw err
    }
    if (!response.ok) throw await errorFrom(response)
    return response
  }

  async function json<T> (method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const response = await request(path, { ...options, method, body })
    const text = await response.text()
    if (text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new BadApiResponseError(`${method} ${path}: the node answered with something that is not JSON`)
    }
  }

  return {
    url: base,
    token: init.token,
    get: async (path, options) => json('GET', path, undefined, options),
    post: async (path, body, options) => json('POST', path, body, options),
    put: async (path, body, options) => json('PUT', path, body, options),
    delete: async (path, body, options) => json('DELETE', path, body, options),
    request
  }
}

async function errorFrom (response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let body: unknown
  try { body = JSON.parse(text) } catch {}
  if (isErrorBody(body)) {
    const { name, message, details } = body.error
    return new ApiError(name ?? 'Error', message, kindOf(body, response.status), details, response.status)
  }
  const message = text.trim() !== '' && text.length < 500 ? text.trim() : `the node answered ${response.status} ${response.statusText}`
  return new ApiError('HttpError', message, kindOf(undefined, response.status), undefined, response.status)
}

function isConnectionRefused (err: any): boolean {
  for (let e = err; e != null; e = e.cause) {
    if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENOTFOUND') return true
    if (Array.isArray(e.errors) && e.errors.some((x: any) => x?.code === 'ECONNREFUSED')) return true
  }
  return false
}
