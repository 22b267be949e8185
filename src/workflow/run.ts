import { readFile } from 'node:fs/promises'
import { Agent, fetch as undiciFetch } from 'undici'
import { createApiClient } from '../client/index.js'
import { WorkflowConfigError, WorkflowStepError } from './errors.js'
import { second } from '../time.js'
import type { Workflow } from './schema.js'
import type { ApiClient } from '../client/index.js'
import type { AlgorithmVersion, CallResult } from '../algorithms/index.js'
import type { DataEntry } from '../data/index.js'

/** One end of a workflow: a paip node's API URL, a token, and its CA certificate (PEM) for https. */
export interface Endpoint {
  url: string
  key: string
  /** A CA certificate file (PEM) to trust for https. */
  caCert?: string
}

export interface StepReport {
  step: 'copy' | 'publish' | 'test-payload' | 'test'
  /** The algorithm it is about. */
  algorithm: string
  /** What was copied, or the test's name. */
  what?: string
  ok: boolean
  /** Milliseconds. */
  duration: number
  bytes?: number
  cid?: string
  /** True when the destination held the same bytes already (nothing moved). */
  skipped?: boolean
  result?: unknown
  error?: { name: string, message: string, details?: unknown }
}

export interface WorkflowReport {
  ok: boolean
  source: { url: string, user: string }
  destination: { url: string, user: string }
  steps: StepReport[]
  /** Bytes moved from the source to the destination. */
  bytes: number
  duration: number
  /** The first failing step, in words. */
  failed?: string
}

export interface RunInit {
  workflow: Workflow
  source: Omit<Endpoint, 'url'>
  destination: Endpoint
  /** Each step as it ends, and progress lines, for people. */
  onProgress?: (line: string) => void
  signal?: AbortSignal
}

/** A call's deadline when the workflow names none (seconds). */
const DEFAULT_CALL_TIMEOUT = 300

async function clientFor (end: Endpoint, what: string): Promise<ApiClient> {
  let url: URL
  try { url = new URL(end.url) } catch { throw new WorkflowConfigError(`the ${what} address ${end.url} is not a URL`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WorkflowConfigError(`the ${what} address ${end.url} is not http:// or https://`)
  if (end.key === '') throw new WorkflowConfigError(`no ${what} API key`)
  let doFetch: typeof globalThis.fetch | undefined
  if (end.caCert != null && end.caCert !== '') {
    let ca: string
    try { ca = await readFile(end.caCert, 'utf8') } catch (err: any) { throw new WorkflowConfigError(`the ${what} CA certificate ${end.caCert} cannot be read: ${err?.message ?? err}`) }
    const dispatcher = new Agent({ connect: { ca } })
    doFetch = (async (input: any, init: any) => await undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch
  }
  return createApiClient({ url: end.url, token: end.key, timeout: 120 * second, ...(doFetch == null ? {} : { fetch: doFetch }) })
}

/** `data://<anyone>/<collection>/<path>` → the same collection and path in `.my`. */
function destinationPath (source: string): string {
  return 'data://.my/' + source.slice('data://'.length).split('/').slice(1).join('/')
}

function apiPath (dataPath: string): string {
  return '/api/v1/data/' + dataPath.slice('data://'.length).split('/').map(s => encodeURIComponent(s)).join('/')
}

function errorOf (err: any): { name: string, message: string, details?: unknown } {
  return { name: err?.remoteName ?? err?.name ?? 'Error', message: String(err?.message ?? err), ...(err?.details == null ? {} : { details: err.details }) }
}

async function whoami (client: ApiClient, what: string, signal?: AbortSignal): Promise<string> {
  try {
    const me = await client.get<{ user: string | null }>('/api/v1/whoami', { signal })
    if (me.user == null) throw new WorkflowConfigError(`the ${what} node did not recognise the API key`)
    return me.user
  } catch (err: any) {
    if (err?.kind === 'unauthorized') throw new WorkflowStepError(`${what} login`, Object.assign(new Error(`the ${what} API key is not valid at ${client.url} (401): ${err.message}`), { kind: 'unauthorized' as const }))
    if (err?.kind === 'unavailable' || err?.name === 'TypeError' || err?.name === 'AbortError' || err?.name === 'TimeoutError') {
      throw new WorkflowStepError(`reaching the ${what}`, Object.assign(new Error(`${client.url} could not be reached: ${err?.cause?.message ?? err.message}`), { kind: 'unavailable' as const }))
    }
    throw err
  }
}

/**
 * Copies one file from the source node to the destination (streamed, verified by CID at the
 * destination, skipped when it holds the same bytes): its destination path. `s` gets its CID
 * and size, and `skipped` when nothing moved.
 */
async function copyFile (from: string, s: StepReport, ctx: { source: ApiClient, destination: ApiClient, signal?: AbortSignal, say: (line: string) => void }): Promise<string> {
  const { source, destination, signal, say } = ctx
  const to = destinationPath(from)
  const response = await source.request(apiPath(from), { headers: { accept: 'application/octet-stream' }, signal })
  const cid = response.headers.get('x-paip-cid') ?? undefined
  const size = Number(response.headers.get('content-length') ?? NaN)
  s.cid = cid
  s.bytes = Number.isFinite(size) ? size : undefined
  if (cid != null) {
    const held = await destination.get<DataEntry>(apiPath(to), { query: { stat: 1 }, signal }).catch(() => undefined)
    if (held?.cid === cid) {
      await response.body?.cancel()
      s.skipped = true
      return held.path
    }
  }
  try {
    // refused before a byte moves when the destination cannot take it (space, owner, path)
    await destination.request(apiPath(to), { method: 'PUT', query: { check: 1, ...(s.bytes == null ? {} : { size: s.bytes }) }, signal })
  } catch (err) {
    await response.body?.cancel().catch(() => {})
    throw err
  }
  say(`copying ${from} → ${to}${s.bytes == null ? '' : ` (${s.bytes} bytes)`}`)
  const put = await destination.request(apiPath(to), {
    method: 'PUT',
    raw: true,
    body: response.body,
    headers: { 'content-type': 'application/octet-stream' },
    query: { ...(cid == null ? {} : { cid }), ...(s.bytes == null ? {} : { size: s.bytes }) },
    signal
  })
  const entry = await put.json() as DataEntry
  if (cid != null && entry.cid !== cid) throw new Error(`the destination stored ${entry.cid}, not the source's ${cid}`)
  s.bytes = entry.size
  return entry.path
}

/**
 * Seed 004's export-and-test: for each algorithm in order, copy its code and data files from
 * the source node to the destination (streamed, verified by CID at the destination, skipped
 * when the destination holds the same bytes), publish it there under the destination key's
 * user and call it with its test payload; then run the tests against the entrypoint. Stops at
 * the first failing export step; runs every test. Never throws for a failing step: the report
 * says what failed (it throws only when an end cannot be reached or its key is refused).
 */
export async function runWorkflow (init: RunInit): Promise<WorkflowReport> {
  const started = Date.now()
  const { workflow, signal } = init
  const say = init.onProgress ?? (() => {})
  const source = await clientFor({ ...init.source, url: workflow.source_info.cluster_address }, 'source')
  const destination = await clientFor(init.destination, 'destination')
  const sourceUser = await whoami(source, 'source', signal)
  const destinationUser = await whoami(destination, 'destination', signal)
  say(`source ${source.url} as ${sourceUser}; destination ${destination.url} as ${destinationUser}`)
  const report: WorkflowReport = {
    ok: false,
    source: { url: source.url, user: sourceUser },
    destination: { url: destination.url, user: destinationUser },
    steps: [],
    bytes: 0,
    duration: 0
  }

  async function step<T> (partial: Omit<StepReport, 'ok' | 'duration'>, work: (s: StepReport) => Promise<T>): Promise<T | undefined> {
    const at = Date.now()
    const s: StepReport = { ...partial, ok: false, duration: 0 }
    report.steps.push(s)
    try {
      const value = await work(s)
      s.ok = true
      return value
    } catch (err: any) {
      s.error = errorOf(err)
      report.failed ??= `${s.step} ${s.algorithm}${s.what == null ? '' : ` (${s.what})`}: ${s.error.message}`
      return undefined
    } finally {
      s.duration = Date.now() - at
      say(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step} ${s.algorithm}${s.what == null ? '' : ` ${s.what}`} (${s.duration} ms${s.bytes == null ? '' : `, ${s.bytes} bytes${s.skipped === true ? ' already there' : ''}`})${s.error == null ? '' : `: ${s.error.message}`}`)
    }
  }

  async function copy (from: string, s: StepReport): Promise<string> {
    const path = await copyFile(from, s, { source, destination, signal, say })
    if (s.skipped !== true) report.bytes += s.bytes ?? 0
    return path
  }

  async function call (name: string, payload: unknown, timeout: number): Promise<CallResult> {
    return await destination.post<CallResult>(`/api/v1/algorithms/.my/${encodeURIComponent(name)}`, payload ?? null, {
      query: { timeout },
      signal: AbortSignal.any([...(signal == null ? [] : [signal]), AbortSignal.timeout((timeout + 120) * second)])
    })
  }

  for (const algorithm of workflow.algorithms) {
    const code = await step({ step: 'copy', algorithm: algorithm.name, what: algorithm.code_path }, async s => await copy(algorithm.code_path, s))
    if (code == null) break
    const data: string[] = []
    for (const file of algorithm.data_files) {
      const copied = await step({ step: 'copy', algorithm: algorithm.name, what: file }, async s => await copy(file, s))
      if (copied == null) break
      data.push(copied)
    }
    if (data.length < algorithm.data_files.length) break
    const published = await step({ step: 'publish', algorithm: algorithm.name }, async s => {
      const v = await destination.post<AlgorithmVersion>('/api/v1/algorithms', { name: algorithm.name, code, language: algorithm.language, data }, { signal })
      s.what = `${v.owner}/${v.name}@${v.version}`
      return v
    })
    if (published == null) break
    const tested = await step({ step: 'test-payload', algorithm: algorithm.name }, async s => {
      s.result = (await call(algorithm.name, algorithm.test_payload, DEFAULT_CALL_TIMEOUT)).result
      return true
    })
    if (tested == null) break
  }

  if (report.failed == null && workflow.test_info != null) {
    for (const test of workflow.test_info.tests) {
      await step({ step: 'test', algorithm: workflow.test_info.entrypoint, what: test.name }, async s => {
        s.result = (await call(workflow.test_info?.entrypoint as string, test.payload, test.timeout ?? DEFAULT_CALL_TIMEOUT)).result
      })
    }
  }
  report.ok = report.failed == null
  report.duration = Date.now() - started
  return report
}
