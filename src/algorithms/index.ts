import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { AbortedError, InvalidArgumentError, isPaipError } from '../errors.js'
import { paipLogger } from '../logger.js'
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import { createRouting } from '../net/routing.js'
import { handleRequests, request } from '../net/rpc.js'
import { parseDataPath } from '../data/index.js'
import * as C from './constants.js'
import { AlgorithmFailedError, AlgorithmNotFoundError, AlgorithmTimeoutError, CallNotAllowedError, InvalidAlgorithmError } from './errors.js'
import { findEntry, linkTree, prepareVersion } from './files.js'
import { checkLanguage, isLanguage, LANGUAGES, RUNTIMES } from './languages.js'
import { callProtocol, RUNNER_PY } from './runner.js'
import { createAlgorithmStore } from './store.js'
import { checkTarball } from './tarball.js'
import type { AlgorithmsDb, AlgorithmVersion } from './store.js'
import type { DataSpace } from '../data/index.js'
import type { ContentResolver, Job, Jobs, LocalContent, Submitter } from '../jobs/index.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import { requireOwner } from '../users/roles.js'
import type { Actor } from '../users/roles.js'
import type { AbortOptions, ComponentLogger, Libp2p, PeerId, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export * from './errors.js'
export * from './store.js'
export { LANGUAGES, isLanguage } from './languages.js'
export type { Language } from './languages.js'
export { ALGORITHMS_PROTOCOL } from './constants.js'
export { checkTarball } from './tarball.js'

export interface AlgorithmsComponents {
  db: AlgorithmsDb
  blobs: BlobStore
  data: DataSpace
  jobs: Pick<Jobs, 'submit' | 'events' | 'cancel' | 'logs' | 'status'>
  /** Without it, algorithms are neither announced nor forwarded (single-node use). */
  host?: Libp2p<any>
  /** The node's announce-and-discover service; default: one on `host`, run by this component. */
  routing?: Routing
  logger?: ComponentLogger
}

export interface AlgorithmsInit {
  /** Where version directories and call directories live (e.g. `<home>/algorithms`). */
  dir: string
  /** Other nodes allowed to call public algorithms here: peer IDs or `*` (default `*`). */
  allowPeers?: string[]
  callTimeout?: number
}

export interface PublishInput {
  name: string
  /** The code tarball: a `data://` path in the publisher's space. */
  code: string
  language: string
  /** `data://` paths of the files the algorithm is given. */
  data?: string[]
  /** The file whose `apply(input)` answers (default: src/<name>.py, <name>.py, src/algorithm.py, ...). */
  entry?: string
  /** Callable from other nodes (default true). */
  public?: boolean
}

export interface CallOptions extends AbortOptions {
  /** Milliseconds (default 5 minutes). */
  timeout?: number
}

export interface CallResult {
  result: unknown
  metadata: { algorithm: string, version: number, node: string, job: string, duration: number }
}

export interface Algorithms extends Startable {
  publish: (input: PublishInput, as: Actor, options?: AbortOptions) => Promise<AlgorithmVersion>
  /** `owner/name[@version]` held by this node. */
  get: (ref: string) => Promise<AlgorithmVersion>
  list: (owner?: string) => Promise<AlgorithmVersion[]>
  remove: (ref: string, as: Actor) => Promise<AlgorithmVersion[]>
  /** Runs `owner/name[@version]` here when this node hosts it, else on a node that does. */
  call: (ref: string, payload: unknown, caller: Submitter, options?: CallOptions) => Promise<CallResult>
  /** Whether a published version uses this blob (its code or a data file). */
  usesBlob: (cid: string) => Promise<boolean>
  /** Gives jobs the directory of a call in progress (its code, data, payload): for the jobs' model resolver. */
  readonly content: ContentResolver
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const CALL_REF = 'algorithm-call:'

/** The DHT key the hosts of `owner/name` provide. */
export function algorithmKey (owner: string, name: string): CID {
  return dhtKey(KEY_NAMESPACES.algorithm, `${owner}/${name}`)
}

/** `owner/name[@version]`. */
export function parseAlgorithmRef (ref: string): { owner: string, name: string, version?: number } {
  const match = /^([a-z0-9][a-z0-9._-]{0,62}|admin)\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@(\d{1,9}))?$/.exec(String(ref))
  if (match == null) throw new InvalidArgumentError(`not an algorithm reference: ${String(ref).slice(0, 200)} (expected <user>/<name>[@version])`)
  return { owner: match[1], name: match[2], ...(match[3] == null ? {} : { version: Number(match[3]) }) }
}

function refOf (v: AlgorithmVersion): string { return `${v.owner}/${v.name}@${v.version}` }

interface CallRequest { op: 'call', ref: string, payload: unknown, timeout: number, user?: string }

function decodeCall (value: unknown): CallRequest {
  const v = value as Partial<CallRequest>
  if (v == null || v.op !== 'call' || typeof v.ref !== 'string' || typeof v.timeout !== 'number' || !('payload' in v)) throw new Error('expected { op: "call", ref, payload, timeout }')
  if (v.user != null && typeof v.user !== 'string') throw new Error('user must be a string')
  return v as CallRequest
}

function decodeResult (value: unknown): CallResult {
  const v = value as Partial<CallResult>
  if (v == null || typeof v !== 'object' || !('result' in v) || typeof v.metadata !== 'object') throw new Error('expected { result, metadata }')
  return v as CallResult
}

const REMOTE: Record<string, new (message: string, details?: unknown) => Error> = {
  AlgorithmFailedError,
  AlgorithmTimeoutError,
  InvalidAlgorithmError,
  CallNotAllowedError
}

/**
 * Algorithms: versioned code tarballs with a language and data files, published by a user on
 * a node, announced on the DHT, and called with a JSON payload from any node. A call is a job
 * of the node's jobs component (its limits, logs and runtime), whose model directory holds
 * the version's code and data and the call's payload.
 */
export function createAlgorithms (components: AlgorithmsComponents, init: AlgorithmsInit): Algorithms {
  const log = (components.logger ?? paipLogger()).forComponent('paip:algorithms')
  const store = createAlgorithmStore(components.db)
  const { blobs, data, jobs, host } = components
  const self = host?.peerId.toString() ?? 'local'
  const allow = new Set(init.allowPeers ?? ['*'])
  const calls = new Map<string, LocalContent>()
  const preparing = new Map<string, Promise<void>>()
  const shutdown = new AbortController()
  const ownRouting = components.routing == null && host != null
  const routing = components.routing ?? (host == null ? undefined : createRouting({ host, logger: components.logger ?? paipLogger() }))

  const versionDir = (v: AlgorithmVersion): string => path.join(init.dir, 'versions', v.owner, v.name, String(v.version))

  /**
   * Announces a public version's key (on a node alone, once it has peers); kad-dht re-provides
   * it from then on, also after a restart, so nothing here re-announces on a schedule.
   */
  async function announce (v: AlgorithmVersion): Promise<void> {
    if (routing == null || !v.public) return
    await routing.announce([algorithmKey(v.owner, v.name)], { signal: AbortSignal.any([shutdown.signal, AbortSignal.timeout(C.PROVIDE_TIMEOUT)]) })
  }

  async function find (ref: string): Promise<AlgorithmVersion | undefined> {
    const { owner, name, version } = parseAlgorithmRef(ref)
    return await store.get(owner, name, version)
  }

  async function waitFinal (id: string, signal: AbortSignal): Promise<Job> {
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

  async function readBlob (cid: string): Promise<string> {
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of blobs.get(cid)) {
      size += chunk.byteLength
      if (size > C.MAX_PAYLOAD_BYTES) throw new AlgorithmFailedError(`the algorithm's answer is over ${C.MAX_PAYLOAD_BYTES} bytes`)
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  async function logTail (id: string): Promise<string> {
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of jobs.logs(id, { signal: AbortSignal.timeout(5000) })) chunks.push(chunk)
    } catch {}
    const all = Buffer.concat(chunks)
    return all.subarray(Math.max(0, all.byteLength - C.STDERR_TAIL_BYTES)).toString('utf8').trim()
  }

  async function outcome (v: AlgorithmVersion, job: Job, started: number): Promise<CallResult> {
    const output = (name: string): string | undefined => job.outputs.find(o => o.path === name)?.cid
    const details = { algorithm: refOf(v), job: job.id, node: self }
    if (job.state === 'succeeded') {
      const cid = output('result.json')
      if (cid == null) throw new AlgorithmFailedError(`${refOf(v)} ended without an answer`, details)
      const text = await readBlob(cid)
      let result: unknown
      try { result = JSON.parse(text) } catch { throw new AlgorithmFailedError(`${refOf(v)} answered something that is not JSON`, details) }
      return { result, metadata: { algorithm: refOf(v), version: v.version, node: self, job: job.id, duration: Date.now() - started } }
    }
    if (job.state === 'failed' && /time limit/.test(job.reason ?? '')) {
      throw new AlgorithmTimeoutError(`${refOf(v)} did not answer in time (${job.reason})`, details)
    }
    if (job.state === 'cancelled') throw new AbortedError(`the call of ${refOf(v)} was cancelled`)
    const errorCid = output('error.json')
    if (errorCid != null) {
      let error: { kind?: string, message?: string, stacktrace?: string } = {}
      try { error = JSON.parse(await readBlob(errorCid)) } catch {}
      throw new AlgorithmFailedError(`${refOf(v)} failed: ${String(error.message ?? 'no message').slice(0, 4000)}`, { ...details, kind: error.kind, stacktrace: error.stacktrace })
    }
    const tail = await logTail(job.id)
    throw new AlgorithmFailedError(`${refOf(v)} crashed (${job.reason ?? 'no reason'})${tail === '' ? '' : `:\n${tail}`}`, { ...details, stderrTail: tail })
  }

  async function runHere (v: AlgorithmVersion, payload: unknown, caller: Submitter, options: CallOptions): Promise<CallResult> {
    const started = Date.now()
    const input = JSON.stringify(payload ?? null)
    if (Buffer.byteLength(input) > C.MAX_PAYLOAD_BYTES) throw new InvalidArgumentError(`the payload is over ${C.MAX_PAYLOAD_BYTES} bytes`)
    const timeout = Math.min(options.timeout ?? init.callTimeout ?? C.CALL_TIMEOUT, C.MAX_CALL_TIMEOUT)
    const runtime = await checkLanguage(v.language)
    const key = refOf(v)
    const dir = versionDir(v)
    let prepared = preparing.get(key)
    if (prepared == null) {
      prepared = prepareVersion(v, dir, blobs)
      preparing.set(key, prepared)
      prepared.catch(() => { preparing.delete(key) })
    }
    await prepared
    const id = randomUUID()
    const callDir = path.join(init.dir, 'calls', id)
    const ref = CALL_REF + id
    try {
      await linkTree(dir, callDir)
      await fs.writeFile(path.join(callDir, 'input.json'), input)
      await fs.writeFile(path.join(callDir, 'call.json'), JSON.stringify({ owner: v.owner, name: v.name, version: v.version, entry: v.entry, function: 'apply' }))
      await fs.writeFile(path.join(callDir, 'runner.py'), RUNNER_PY)
      calls.set(id, { id: ref, name: key, cid: ref, tags: [], dir: callDir })
      const signal = AbortSignal.any([shutdown.signal, ...(options.signal == null ? [] : [options.signal])])
      const jobId = `algo-${id}`
      const finished = waitFinal(jobId, signal)
      try {
        await jobs.submit({ id: jobId, protocol: callProtocol(`${v.owner}_${v.name}`, runtime), model: ref, timeLimit: timeout }, caller, { signal })
      } catch (err) {
        finished.catch(() => {})
        throw err
      }
      return await outcome(v, await finished, started)
    } finally {
      calls.delete(id)
      await fs.rm(callDir, { recursive: true, force: true }).catch(() => {})
    }
  }

  async function hosts (owner: string, name: string, signal: AbortSignal): Promise<PeerId[]> {
    const found: PeerId[] = []
    if (routing == null) return found
    for await (const provider of routing.providers(algorithmKey(owner, name), { signal, timeout: C.FIND_HOSTS_TIMEOUT })) {
      found.push(provider)
      if (found.length >= C.MAX_HOSTS_TRIED) break
    }
    return found
  }

  async function forward (ref: string, payload: unknown, caller: Submitter, options: CallOptions): Promise<CallResult> {
    const { owner, name } = parseAlgorithmRef(ref)
    const signal = AbortSignal.any([shutdown.signal, ...(options.signal == null ? [] : [options.signal])])
    const peers = await hosts(owner, name, signal)
    if (peers.length === 0 || host == null) throw new AlgorithmNotFoundError(ref, { searched: 'this node and the grid' })
    const timeout = Math.min(options.timeout ?? init.callTimeout ?? C.CALL_TIMEOUT, C.MAX_CALL_TIMEOUT)
    let last: unknown
    for (const peer of peers) {
      try {
        return await request(host, peer, C.ALGORITHMS_PROTOCOL, { op: 'call', ref, payload, timeout, ...(caller.user == null ? {} : { user: caller.user }) }, decodeResult, {
          signal,
          timeout: timeout + 60_000,
          maxMessageBytes: C.MAX_PAYLOAD_BYTES + 64 * 1024
        })
      } catch (err: any) {
        if (err?.name === 'RemoteError') {
          const Known = REMOTE[err.remoteName]
          if (Known != null) throw new Known(err.message)
          if (err.remoteName === 'AlgorithmNotFoundError' || err.kind === 'unavailable') { last = err; continue }
          throw err
        }
        last = err
        log('calling %s on %p failed: %s', ref, peer, err?.message ?? err)
      }
    }
    throw isPaipError(last) ? last : new AlgorithmNotFoundError(ref, { tried: peers.map(String) })
  }

  return {
    content: {
      async resolve (ref) {
        if (!ref.startsWith(CALL_REF)) return undefined
        return calls.get(ref.slice(CALL_REF.length))
      }
    },

    async start () {
      await fs.mkdir(path.join(init.dir, 'calls'), { recursive: true })
      // calls a stopped node left behind
      for (const name of await fs.readdir(path.join(init.dir, 'calls'))) await fs.rm(path.join(init.dir, 'calls', name), { recursive: true, force: true })
      if (host != null) {
        await handleRequests(host, C.ALGORITHMS_PROTOCOL, decodeCall, async (req, ctx) => {
          const peer = ctx.remotePeer.toString()
          if (!allow.has('*') && !allow.has(peer)) throw new CallNotAllowedError(`node ${peer} may not call algorithms here`)
          const v = await find(req.ref)
          if (v == null || !v.public) throw new AlgorithmNotFoundError(req.ref)
          // run as its owner (whose `run` role and isolation apply), never as the node itself
          return await runHere(v, req.payload, { peer: self, user: v.owner }, { timeout: Math.min(req.timeout, C.MAX_CALL_TIMEOUT), signal: shutdown.signal })
        }, { timeout: C.MAX_CALL_TIMEOUT + 60_000, maxMessageBytes: C.MAX_PAYLOAD_BYTES + 64 * 1024 })
        if (ownRouting) await routing?.start()
      }
    },

    async stop () {
      shutdown.abort(new AbortedError('the node is stopping'))
      if (ownRouting) await routing?.stop()
      if (host != null) await host.unhandle(C.ALGORITHMS_PROTOCOL).catch(() => {})
    },

    async publish (input, as, options) {
      if (typeof input.name !== 'string' || !NAME.test(input.name)) throw new InvalidAlgorithmError(`"${String(input.name).slice(0, 100)}" is not an algorithm name (letters, digits, . _ -, at most 128)`)
      if (!isLanguage(input.language)) throw new InvalidAlgorithmError(`language "${String(input.language).slice(0, 50)}" is not one of ${LANGUAGES.join(', ')}`)
      await checkLanguage(input.language)
      if (typeof input.code !== 'string') throw new InvalidAlgorithmError('code must be a data:// path to a tar.gz')
      const codePath = parseDataPath(input.code, as.name, 'file')
      const codeEntry = await data.stat(codePath, as)
      const entries = await checkTarball(blobs.path(codeEntry.cid))
      const entry = findEntry(entries, input.name, input.entry)
      if (entry == null) {
        throw new InvalidAlgorithmError(input.entry != null
          ? `the code tarball has no ${input.entry}`
          : `the code tarball has no entry file: src/${input.name}.py, ${input.name}.py, src/algorithm.py, algorithm.py or main.py (or name one with entry)`)
      }
      if (input.data != null && !Array.isArray(input.data)) throw new InvalidAlgorithmError('data must be a list of data:// paths')
      const files = []
      for (const p of input.data ?? []) {
        const parsed = parseDataPath(String(p), as.name, 'file')
        const found = await data.stat(parsed, as)
        files.push({ path: found.path, cid: found.cid, size: found.size })
      }
      options?.signal?.throwIfAborted()
      const previous = await store.get(as.name, input.name)
      const v: AlgorithmVersion = {
        owner: as.name,
        name: input.name,
        version: (previous?.version ?? 0) + 1,
        language: input.language,
        code: codeEntry.cid,
        entry,
        data: files,
        public: input.public !== false,
        created: Date.now()
      }
      await store.put(v)
      log('published %s (%s, %d data files)', refOf(v), v.language, v.data.length)
      void announce(v)
      return v
    },

    async get (ref) {
      const v = await find(ref)
      if (v == null) throw new AlgorithmNotFoundError(ref)
      return v
    },

    async list (owner) { return await store.latest(owner) },

    async usesBlob (cid) {
      for (const v of await store.all()) if (v.code === cid || v.data.some(d => d.cid === cid)) return true
      return false
    },

    async remove (ref, as) {
      const { owner, name } = parseAlgorithmRef(ref)
      requireOwner(as, owner, `algorithm ${owner}/${name}`, 'remove')
      const gone = await store.remove(owner, name)
      if (gone.length === 0) throw new AlgorithmNotFoundError(ref)
      for (const v of gone) await fs.rm(versionDir(v), { recursive: true, force: true }).catch(() => {})
      await routing?.withdraw([algorithmKey(owner, name)])
      return gone
    },

    async call (ref, payload, caller, options = {}) {
      const v = await find(ref)
      if (v != null) return await runHere(v, payload, caller, options)
      return await forward(ref, payload, caller, options)
    }
  }
}

export { RUNTIMES }
