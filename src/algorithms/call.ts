import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { AbortedError, InvalidArgumentError, isPaipError } from '../errors.js'
import * as C from './constants.js'
import { AlgorithmFailedError, AlgorithmTimeoutError } from './errors.js'
import { linkTree, prepareVersion } from './files.js'
import { checkLanguage } from './languages.js'
import { callProtocol, RUNNER_PY } from './runner.js'
import type { AlgorithmVersion } from './store.js'
import type { ContentResolver, Job, Jobs, LocalContent, Submitter } from '../jobs/index.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions } from '@libp2p/interface'

export interface CallOptions extends AbortOptions {
  /** Milliseconds (default 5 minutes). */
  timeout?: number
}

export interface CallResult {
  result: unknown
  metadata: { algorithm: string, version: number, node: string, job: string, duration: number }
}

const CALL_REF = 'algorithm-call:'

export function refOf (v: AlgorithmVersion): string { return `${v.owner}/${v.name}@${v.version}` }

/** A call's deadline: asked for, else the node's, else the default; never over the maximum. */
export function callTimeout (asked: number | undefined, configured: number | undefined): number {
  return Math.min(asked ?? configured ?? C.CALL_TIMEOUT, C.MAX_CALL_TIMEOUT)
}

export interface LocalCallsComponents {
  blobs: BlobStore
  jobs: Pick<Jobs, 'submit' | 'events' | 'cancel' | 'logs'>
}

export interface LocalCallsInit {
  /** Where version directories and call directories live. */
  dir: string
  callTimeout?: number
  /** This node's peer ID (in a result's metadata). */
  self: string
  /** Aborted when the node stops: ends every call in progress. */
  shutdown: AbortSignal
}

export interface LocalCalls {
  /** Runs a version held here as a job and reads its answer. */
  run: (v: AlgorithmVersion, payload: unknown, caller: Submitter, options?: CallOptions) => Promise<CallResult>
  /** The directory of a call in progress (its code, data, payload): for the jobs' model resolver. */
  readonly content: ContentResolver
  versionDir: (v: AlgorithmVersion) => string
}

/**
 * Calls run on this node: each is a job whose model directory holds the version's code and
 * data (prepared once per version) and the call's payload; its `result.json` is the answer.
 */
export function createLocalCalls (components: LocalCallsComponents, init: LocalCallsInit): LocalCalls {
  const { blobs, jobs } = components
  const calls = new Map<string, LocalContent>()
  const preparing = new Map<string, Promise<void>>()
  const versionDir = (v: AlgorithmVersion): string => path.join(init.dir, 'versions', v.owner, v.name, String(v.version))
  const read = (cid: string): Promise<string> => readAnswer(blobs, cid)

  async function prepare (v: AlgorithmVersion): Promise<string> {
    const key = refOf(v)
    const dir = versionDir(v)
    let prepared = preparing.get(key)
    if (prepared == null) {
      prepared = prepareVersion(v, dir, blobs)
      preparing.set(key, prepared)
      prepared.catch(() => { preparing.delete(key) })
    }
    await prepared
    return dir
  }

  async function run (v: AlgorithmVersion, payload: unknown, caller: Submitter, options: CallOptions = {}): Promise<CallResult> {
    const started = Date.now()
    const input = JSON.stringify(payload ?? null)
    if (Buffer.byteLength(input) > C.MAX_PAYLOAD_BYTES) throw new InvalidArgumentError(`the payload is over ${C.MAX_PAYLOAD_BYTES} bytes`)
    const timeout = callTimeout(options.timeout, init.callTimeout)
    const runtime = await checkLanguage(v.language)
    const dir = await prepare(v)
    const id = randomUUID()
    const callDir = path.join(init.dir, 'calls', id)
    const ref = CALL_REF + id
    try {
      await writeCallDir(v, dir, callDir, input)
      calls.set(id, { id: ref, name: refOf(v), cid: ref, tags: [], dir: callDir })
      const signal = AbortSignal.any([init.shutdown, ...(options.signal == null ? [] : [options.signal])])
      const jobId = `algo-${id}`
      const finished = waitFinal(jobs, jobId, signal)
      try {
        await jobs.submit({ id: jobId, protocol: callProtocol(`${v.owner}_${v.name}`, runtime), model: ref, timeLimit: timeout }, caller, { signal })
      } catch (err) {
        finished.catch(() => {})
        throw err
      }
      return await outcome(v, await finished, { self: init.self, started, read, logTail: async id => await logTail(jobs, id) })
    } finally {
      calls.delete(id)
      await fs.rm(callDir, { recursive: true, force: true }).catch(() => {})
    }
  }

  return {
    run,
    versionDir,
    content: {
      async resolve (ref) {
        if (!ref.startsWith(CALL_REF)) return undefined
        return calls.get(ref.slice(CALL_REF.length))
      }
    }
  }
}

/** A call's directory: the version's files (linked) plus its payload and the runner. */
async function writeCallDir (v: AlgorithmVersion, versionDir: string, callDir: string, input: string): Promise<void> {
  await linkTree(versionDir, callDir)
  await fs.writeFile(path.join(callDir, 'input.json'), input)
  await fs.writeFile(path.join(callDir, 'call.json'), JSON.stringify({ owner: v.owner, name: v.name, version: v.version, entry: v.entry, function: 'apply' }))
  await fs.writeFile(path.join(callDir, 'runner.py'), RUNNER_PY)
}

/** The job once it has ended; cancels it and rejects when the signal aborts first. */
async function waitFinal (jobs: Pick<Jobs, 'events' | 'cancel'>, id: string, signal: AbortSignal): Promise<Job> {
  return await new Promise<Job>((resolve, reject) => {
    const done = (job: Job): void => {
      if (job.id !== id || !['succeeded', 'failed', 'cancelled'].includes(job.state)) return
      cleanup()
      resolve(job)
    }
    const onAbort = (): void => {
      cleanup()
      void jobs.cancel(id).catch(() => {})
      reject(signal.reason instanceof Error && isPaipError(signal.reason) ? signal.reason : new AbortedError('the call was abandoned'))
    }
    const cleanup = (): void => {
      jobs.events.off('job', done)
      signal.removeEventListener('abort', onAbort)
    }
    jobs.events.on('job', done)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

async function readAnswer (blobs: BlobStore, cid: string): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of blobs.get(cid)) {
    size += chunk.byteLength
    if (size > C.MAX_PAYLOAD_BYTES) throw new AlgorithmFailedError(`the algorithm's answer is over ${C.MAX_PAYLOAD_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function logTail (jobs: Pick<Jobs, 'logs'>, id: string): Promise<string> {
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of jobs.logs(id, { signal: AbortSignal.timeout(5000) })) chunks.push(chunk)
  } catch {}
  const all = Buffer.concat(chunks)
  return all.subarray(Math.max(0, all.byteLength - C.STDERR_TAIL_BYTES)).toString('utf8').trim()
}

interface OutcomeContext {
  self: string
  started: number
  read: (cid: string) => Promise<string>
  logTail: (id: string) => Promise<string>
}

/** The answer of an ended call's job, or the error that says why there is none. */
async function outcome (v: AlgorithmVersion, job: Job, ctx: OutcomeContext): Promise<CallResult> {
  const output = (name: string): string | undefined => job.outputs.find(o => o.path === name)?.cid
  const details = { algorithm: refOf(v), job: job.id, node: ctx.self }
  if (job.state === 'succeeded') {
    const cid = output('result.json')
    if (cid == null) throw new AlgorithmFailedError(`${refOf(v)} ended without an answer`, details)
    const text = await ctx.read(cid)
    let result: unknown
    try { result = JSON.parse(text) } catch { throw new AlgorithmFailedError(`${refOf(v)} answered something that is not JSON`, details) }
    return { result, metadata: { algorithm: refOf(v), version: v.version, node: ctx.self, job: job.id, duration: Date.now() - ctx.started } }
  }
  if (job.state === 'failed' && /time limit/.test(job.reason ?? '')) {
    throw new AlgorithmTimeoutError(`${refOf(v)} did not answer in time (${job.reason})`, details)
  }
  if (job.state === 'cancelled') throw new AbortedError(`the call of ${refOf(v)} was cancelled`)
  const errorCid = output('error.json')
  if (errorCid != null) {
    let error: { kind?: string, message?: string, stacktrace?: string } = {}
    try { error = JSON.parse(await ctx.read(errorCid)) } catch {}
    throw new AlgorithmFailedError(`${refOf(v)} failed: ${String(error.message ?? 'no message').slice(0, 4000)}`, { ...details, kind: error.kind, stacktrace: error.stacktrace })
  }
  const tail = await ctx.logTail(job.id)
  throw new AlgorithmFailedError(`${refOf(v)} crashed (${job.reason ?? 'no reason'})${tail === '' ? '' : `:\n${tail}`}`, { ...details, stderrTail: tail })
}
