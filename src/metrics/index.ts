/**
 * The node's metrics in Prometheus's text format (`GET /metrics`): libp2p's own (through
 * `@libp2p/prometheus-metrics`, given to libp2p as its `metrics` option) and paip's histograms
 * of publish, search, fetch, job dispatch and HTTP requests. One registry per node: several
 * nodes in one process never share paip's figures.
 *
 * Every label has a bounded set of values (route patterns, never raw URLs; status codes; kinds
 * and outcomes from fixed lists): no input from outside can add a series, and no label names
 * a user, a token or a peer.
 */
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { HTTP_BUCKETS, HTTP_METHODS, OPERATION_BUCKETS, UNMATCHED_ROUTE } from './constants.js'
import type { Metrics as Libp2pMetrics } from '@libp2p/interface'

export type Outcome = 'ok' | 'error'
/**
 * Who may read `GET /metrics`: `local` anyone connecting from this machine (loopback) and the
 * admin token from elsewhere; `admin` the admin token only; `public` anyone; `off` nobody.
 */
export type MetricsAccess = 'local' | 'admin' | 'public' | 'off'

export interface Metrics {
  readonly registry: Registry
  /** libp2p's `metrics` option: its figures land in this node's registry. */
  libp2p: ReturnType<typeof prometheusMetrics>
  /** `paip_publish_seconds{outcome}`: a protocol publish, until it returns. */
  publish: Histogram<'outcome'>
  /** `paip_search_seconds{kind,outcome}`: a search over the grid, until its last answer. */
  search: Histogram<'kind' | 'outcome'>
  /** `paip_search_first_result_seconds{kind}`: a streamed search, until its first hit. */
  searchFirstResult: Histogram<'kind'>
  /** `paip_fetch_seconds{kind,outcome}`: a pull of a protocol, a fetch of a dataset or model. */
  fetch: Histogram<'kind' | 'outcome'>
  /** `paip_job_dispatch_seconds{outcome}`: choosing a node for a job and having it accepted there. */
  jobDispatch: Histogram<'outcome'>
  /** `paip_http_request_seconds{method,route,status}` (its `_count` is the number of requests). */
  http: Histogram<'method' | 'route' | 'status'>
  /** `paip_http_requests_total{method,route,status}`. */
  httpRequests: Counter<'method' | 'route' | 'status'>
  /** `paip_start_phase_seconds{phase,clock}`: each step of the daemon's start, wall-clock and CPU (src/node/start-clock.ts). */
  startPhases: Gauge<'phase' | 'clock'>
  /** Records one answered HTTP request; `route` is the matched pattern (undefined: none matched). */
  observeHttp: (method: string, route: string | undefined, status: number, seconds: number) => void
  /** The whole registry in Prometheus's text format. */
  render: () => Promise<string>
  readonly contentType: string
}

export interface MetricsInit {
  /** Node.js process figures (CPU, memory, event loop lag, GC) too; default true. */
  processMetrics?: boolean
}

let processRegistry: Registry | undefined

/**
 * The Node.js process's figures (CPU, memory, event-loop lag, GC): one registry per process,
 * whatever the number of nodes in it (they are the process's, and each collector watches the
 * event loop for as long as the process lives: one per node would add up in a test run).
 */
function processMetrics (): Registry {
  if (processRegistry == null) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export function createMetrics (init: MetricsInit = {}): Metrics {
  const registry = new Registry()
  const registers = [registry]
  const publish = new Histogram({ name: 'paip_publish_seconds', help: 'Publishing a protocol (paip push, PUT /repo/protocol, POST /items), until it returns', labelNames: ['outcome'], buckets: OPERATION_BUCKETS, registers })
  const search = new Histogram({ name: 'paip_search_seconds', help: 'A search over the grid (protocols, datasets, models), until its last answer', labelNames: ['kind', 'outcome'], buckets: OPERATION_BUCKETS, registers })
  const searchFirstResult = new Histogram({ name: 'paip_search_first_result_seconds', help: 'A streamed protocol search, until its first hit', labelNames: ['kind'], buckets: OPERATION_BUCKETS, registers })
  const fetch = new Histogram({ name: 'paip_fetch_seconds', help: 'Pulling a protocol or fetching a dataset or model from the grid', labelNames: ['kind', 'outcome'], buckets: OPERATION_BUCKETS, registers })
  const jobDispatch = new Histogram({ name: 'paip_job_dispatch_seconds', help: 'Dispatching a job: choosing a node and having it accepted there', labelNames: ['outcome'], buckets: OPERATION_BUCKETS, registers })
  const http = new Histogram({ name: 'paip_http_request_seconds', help: 'HTTP API requests by route pattern, method and status', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers })
  const httpRequests = new Counter({ name: 'paip_http_requests_total', help: 'HTTP API requests by route pattern, method and status', labelNames: ['method', 'route', 'status'], registers })
  const startPhases = new Gauge({ name: 'paip_start_phase_seconds', help: 'Each step of the daemon process\'s start, in wall-clock (clock="wall") and CPU (clock="cpu") seconds', labelNames: ['phase', 'clock'], registers })
  const methods = new Set<string>(HTTP_METHODS)
  return {
    registry,
    libp2p: prometheusMetrics({ registry, collectDefaultMetrics: false }),
    publish,
    search,
    searchFirstResult,
    fetch,
    jobDispatch,
    http,
    httpRequests,
    startPhases,
    observeHttp (method, route, status, seconds) {
      const labels = { method: methods.has(method) ? method : 'other', route: route ?? UNMATCHED_ROUTE, status: String(status) }
      http.observe(labels, seconds)
      httpRequests.inc(labels)
    },
    render: async () => await (init.processMetrics === false ? registry : Registry.merge([registry, processMetrics()])).metrics(),
    contentType: registry.contentType
  }
}

/** Times `run` into `histogram` with `labels` and its outcome. */
export async function timed<T> (histogram: Histogram<any>, labels: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer(labels)
  try {
    const result = await run()
    end({ outcome: 'ok' })
    return result
  } catch (err) {
    end({ outcome: 'error' })
    throw err
  }
}

/**
 * Passes a stream of results through, timing it whole into `total` (with its outcome) and
 * until its first item into `first`. A stream the caller stops early counts as ok.
 */
export async function * timedStream<T> (total: Histogram<any>, first: Histogram<any> | undefined, labels: Record<string, string>, stream: AsyncIterable<T>): AsyncGenerator<T> {
  const start = performance.now()
  let seen = false
  let outcome: Outcome = 'ok'
  try {
    for await (const item of stream) {
      if (!seen) {
        seen = true
        first?.observe(labels, (performance.now() - start) / 1000)
      }
      yield item
    }
  } catch (err) {
    outcome = 'error'
    throw err
  } finally {
    total.observe({ ...labels, outcome }, (performance.now() - start) / 1000)
  }
}

export type { Libp2pMetrics }
