import { peerIdFromString } from '@libp2p/peer-id'
import { RemoteError } from '../net/errors.js'
import { dialMessages, handleRequests, request } from '../net/rpc.js'
import type { MessageStream } from '../net/rpc.js'
import * as C from './constants.js'
import { InvalidJobError, JobNotAllowedError, JobNotFoundError } from './errors.js'
import type { LocalJobs } from './local.js'
import type { ContentInfo, ContentResolver, Job, JobState, JobSubmission } from './types.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, Libp2p, PeerId } from '@libp2p/interface'

/**
 * `/paip/jobs/1.0.0`: one JSON request, one JSON answer.
 *   { op: 'offer', dataset?, model? }        → Offer (free slots; whether it holds them)
 *   { op: 'submit', job, user? }             → { job, duplicate }
 *   { op: 'status', id }                     → { job }
 *   { op: 'list', state?, limit? }           → { jobs } (the caller's jobs)
 *   { op: 'cancel', id, user? }              → { job }
 * `/paip/job-data/1.0.0`: a request, then a stream of answers.
 *   { op: 'logs', id, offset?, follow? }     → { chunk: base64 }... then { end: true }
 *   { op: 'output', id, cid }                → { size }, then binary frames of that many bytes
 * The submitter's peer is the authenticated remote peer; `user` is who the sending node says
 * asked. A job's status, logs and outputs are shown to its submitting peer and to peers
 * allowed to run jobs here; only its submitter may cancel it.
 */

export interface Offer {
  peer: string
  slots: number
  free: number
  queued: number
  /** True when the node holds the dataset and model asked about. */
  holds: boolean
  dataset?: ContentInfo
  model?: ContentInfo
  runtimes: string[]
}

type JobsRequest =
  | { op: 'offer', dataset?: string, model?: string }
  | { op: 'submit', job: JobSubmission, user?: string }
  | { op: 'status', id: string }
  | { op: 'list', state?: JobState, limit?: number }
  | { op: 'cancel', id: string, user?: string }

type DataRequest =
  | { op: 'logs', id: string, offset?: number, follow?: boolean }
  | { op: 'output', id: string, cid: string }

const STATES = new Set(['queued', 'running', 'succeeded', 'failed', 'cancelled'])

function obj (value: unknown): Record<string, any> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected an object')
  return value as Record<string, any>
}
function optString (value: unknown, max = 1024): string | undefined {
  if (value == null) return undefined
  if (typeof value !== 'string' || value.length > max) throw new Error('expected a short string')
  return value
}
function str (value: unknown, max = 1024): string {
  const s = optString(value, max)
  if (s == null) throw new Error('expected a string')
  return s
}

function decodeJobsRequest (value: unknown): JobsRequest {
  const v = obj(value)
  switch (v.op) {
    case 'offer': return { op: 'offer', dataset: optString(v.dataset), model: optString(v.model) }
    case 'submit': return { op: 'submit', job: obj(v.job) as JobSubmission, user: optString(v.user, 128) }
    case 'status': return { op: 'status', id: str(v.id, 256) }
    case 'cancel': return { op: 'cancel', id: str(v.id, 256), user: optString(v.user, 128) }
    case 'list': {
      if (v.state != null && !STATES.has(v.state)) throw new Error('bad state')
      if (v.limit != null && (!Number.isSafeInteger(v.limit) || v.limit < 1)) throw new Error('bad limit')
      return { op: 'list', state: v.state, limit: v.limit }
    }
    default: throw new Error('unknown op')
  }
}

function decodeDataRequest (value: unknown): DataRequest {
  const v = obj(value)
  if (v.op === 'logs') {
    if (v.offset != null && (!Number.isSafeInteger(v.offset) || v.offset < 0)) throw new Error('bad offset')
    return { op: 'logs', id: str(v.id, 256), offset: v.offset, follow: v.follow === true }
  }
  if (v.op === 'output') return { op: 'output', id: str(v.id, 256), cid: str(v.cid, 256) }
  throw new Error('unknown op')
}

export interface WireServerInit {
  host: Libp2p<any>
  local: LocalJobs
  blobs: BlobStore
  datasets: ContentResolver
  models?: ContentResolver
  /** Called when a new job was accepted from a peer. */
  onAccepted?: (job: Job) => void
}

function info (c: ContentInfo & { dir?: string }): ContentInfo {
  return { id: c.id, name: c.name, cid: c.cid, tags: c.tags }
}

export async function localOffer (init: Omit<WireServerInit, 'host' | 'blobs'> & { self: string }, dataset?: string, model?: string, options?: AbortOptions): Promise<Offer> {
  const load = init.local.load()
  const d = dataset == null ? undefined : await init.datasets.resolve(dataset, options)
  const m = model == null ? undefined : await init.models?.resolve(model, options)
  const holds = (dataset == null || d != null) && (model == null || m != null)
  return {
    peer: init.self,
    ...load,
    holds,
    ...(d == null ? {} : { dataset: info(d) }),
    ...(m == null ? {} : { model: info(m) }),
    runtimes: ['process']
  }
}

/** Registers both protocol handlers. */
export async function serveJobs (init: WireServerInit): Promise<void> {
  const { host, local } = init
  const self = host.peerId.toString()

  async function visible (id: string, peer: string): Promise<Job> {
    const job = await local.get(id)
    if (job == null) throw new JobNotFoundError(id)
    if (job.evaluation != null) return job // evaluations are public (their results are too)
    if (job.submitter.peer !== peer && !await local.canRun({ peer })) throw new JobNotFoundError(id)
    return job
  }

  await handleRequests(host, C.JOBS_PROTOCOL, decodeJobsRequest, async (req, ctx) => {
    const peer = ctx.remotePeer.toString()
    switch (req.op) {
      case 'offer': return await localOffer({ ...init, self }, req.dataset, req.model, { signal: ctx.signal })
      case 'submit': {
        const accepted = await local.accept(req.job, { peer, ...(req.user == null ? {} : { user: req.user }) }, { signal: ctx.signal })
        if (!accepted.duplicate) init.onAccepted?.(accepted.job)
        return accepted
      }
      case 'status': return { job: await visible(req.id, peer) }
      case 'list': return { jobs: await local.list({ submitter: peer, state: req.state, limit: req.limit }) }
      case 'cancel': {
        const job = await visible(req.id, peer)
        if (job.submitter.peer !== peer) throw new JobNotAllowedError(`only the node that submitted job ${req.id} may cancel it`)
        return { job: await local.cancel(req.id, req.user == null ? peer : `${req.user}@${peer}`) }
      }
    }
  })

  await handleRequests(host, C.JOB_DATA_PROTOCOL, decodeDataRequest, async (req, ctx) => {
    const peer = ctx.remotePeer.toString()
    const job = await visible(req.id, peer)
    if (req.op === 'logs') {
      for await (const chunk of local.logs(job.id, { offset: req.offset, follow: req.follow, signal: ctx.signal })) {
        await ctx.messages.write({ chunk: Buffer.from(chunk).toString('base64') }, { signal: ctx.signal })
      }
      await ctx.messages.write({ end: true }, { signal: ctx.signal })
      return undefined
    }
    const output = job.outputs.find(o => o.cid === req.cid)
    if (output == null) throw new JobNotFoundError(`${job.id} output ${req.cid}`)
    await ctx.messages.write({ size: output.size }, { signal: ctx.signal })
    for await (const chunk of init.blobs.get(output.cid, { signal: ctx.signal, chunkSize: C.LOG_CHUNK_BYTES })) {
      await ctx.messages.writeBytes(chunk, { signal: ctx.signal })
    }
    return undefined
  }, { timeout: C.FOLLOW_TIMEOUT })
}

export async function unserveJobs (host: Libp2p<any>): Promise<void> {
  await host.unhandle([C.JOBS_PROTOCOL, C.JOB_DATA_PROTOCOL])
}

/** The client side: every call reaches one peer. */
export interface JobsClient {
  offer: (peer: string, dataset?: string, model?: string, options?: AbortOptions) => Promise<Offer>
  submit: (peer: string, job: JobSubmission, user?: string, options?: AbortOptions) => Promise<{ job: Job, duplicate: boolean }>
  status: (peer: string, id: string, options?: AbortOptions) => Promise<Job>
  list: (peer: string, filter?: { state?: JobState, limit?: number }, options?: AbortOptions) => Promise<Job[]>
  cancel: (peer: string, id: string, user?: string, options?: AbortOptions) => Promise<Job>
  logs: (peer: string, id: string, options?: AbortOptions & { offset?: number, follow?: boolean }) => AsyncGenerator<Uint8Array>
  output: (peer: string, id: string, cid: string, options?: AbortOptions) => AsyncGenerator<Uint8Array>
}

function job (value: unknown): Job {
  const v = obj(value)
  if (typeof v.id !== 'string' || !STATES.has(v.state) || typeof v.node !== 'string') throw new Error('not a job')
  if (!Array.isArray(v.outputs)) throw new Error('not a job')
  return v as Job
}

function toPeer (peer: string): PeerId {
  try { return peerIdFromString(peer) } catch { throw new InvalidJobError(`not a peer ID: ${peer}`) }
}

export function jobsClient (host: Libp2p<any>): JobsClient {
  const ask = async <T>(peer: string, body: JobsRequest, decode: (v: unknown) => T, options?: AbortOptions & { timeout?: number }): Promise<T> =>
    await request(host, toPeer(peer), C.JOBS_PROTOCOL, body, decode, options)

  return {
    offer: async (peer, dataset, model, options) => await ask(peer, { op: 'offer', dataset, model }, v => {
      const o = obj(v)
      if (typeof o.free !== 'number' || typeof o.holds !== 'boolean') throw new Error('not an offer')
      return { ...o, peer } as Offer
    }, options),
    submit: async (peer, submission, user, options) => await ask(peer, { op: 'submit', job: submission, user }, v => {
      const o = obj(v)
      return { job: job(o.job), duplicate: o.duplicate === true }
    }, options),
    status: async (peer, id, options) => await ask(peer, { op: 'status', id }, v => job(obj(v).job), options),
    list: async (peer, filter = {}, options) => await ask(peer, { op: 'list', ...filter }, v => {
      const jobs = obj(v).jobs
      if (!Array.isArray(jobs)) throw new Error('not a list')
      return jobs.map(job)
    }, options),
    cancel: async (peer, id, user, options) => await ask(peer, { op: 'cancel', id, user }, v => job(obj(v).job), { ...options, timeout: C.OFFER_TIMEOUT * 4 }),
    async * logs (peer, id, options = {}) {
      const messages = await dialMessages(host, toPeer(peer), C.JOB_DATA_PROTOCOL, options)
      yield * readToEnd(messages, options, async function * () {
        await messages.write({ op: 'logs', id, offset: options.offset, follow: options.follow === true }, options)
        while (true) {
          const m = await messages.read(v => obj(v), options)
          if (m.error != null) throw remote(m.error)
          if (m.end === true) return
          yield new Uint8Array(Buffer.from(str(m.chunk, C.LOG_CHUNK_BYTES * 2), 'base64'))
        }
      })
    },
    async * output (peer, id, cid, options = {}) {
      const messages = await dialMessages(host, toPeer(peer), C.JOB_DATA_PROTOCOL, options)
      yield * readToEnd(messages, options, async function * () {
        await messages.write({ op: 'output', id, cid }, options)
        const head = await messages.read(v => obj(v), options)
        if (head.error != null) throw remote(head.error)
        let left = Number(head.size)
        while (left > 0) {
          const bytes = await messages.readBytes(options)
          left -= bytes.byteLength
          yield bytes
        }
      })
    }
  }
}

/**
 * Yields what `read` yields, then closes the stream; a failure, or a consumer that stops early
 * (a `break` out of a followed log), aborts it, so the serving peer stops at once instead of
 * writing into a stream nobody reads until its follow timeout.
 */
async function * readToEnd (messages: MessageStream, options: AbortOptions, read: () => AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  let done = false
  try {
    yield * read()
    done = true
    await messages.close(options).catch(() => {})
  } finally {
    if (!done) messages.abort(new DOMException('the reader stopped before the end of the stream', 'AbortError'))
  }
}

function remote (error: any): Error {
  return new RemoteError(String(error?.name ?? 'Error'), String(error?.message ?? 'remote error'), error?.kind ?? 'internal')
}
