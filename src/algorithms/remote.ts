import { isPaipError } from '../errors.js'
import { handleRequests, request } from '../net/rpc.js'
import * as C from './constants.js'
import { AlgorithmFailedError, AlgorithmNotFoundError, AlgorithmTimeoutError, CallNotAllowedError, InvalidAlgorithmError } from './errors.js'
import { callTimeout } from './call.js'
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import type { CallOptions, CallResult } from './call.js'
import type { AlgorithmVersion } from './store.js'
import type { Submitter } from '../jobs/index.js'
import type { Routing } from '../net/routing.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** The DHT key the hosts of `owner/name` provide. */
export function algorithmKey (owner: string, name: string): CID {
  return dhtKey(KEY_NAMESPACES.algorithm, `${owner}/${name}`)
}

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

const MAX_MESSAGE_BYTES = C.MAX_PAYLOAD_BYTES + 64 * 1024

/**
 * Answers other nodes' calls of the public algorithms held here (when `allow` lets the caller
 * in), run as the algorithm's owner, never as the node itself.
 */
export interface ServeContext {
  /** Peer IDs allowed to call, or `*`. */
  allow: Set<string>
  self: string
  find: (ref: string) => Promise<AlgorithmVersion | undefined>
  run: (v: AlgorithmVersion, payload: unknown, caller: Submitter, options: CallOptions) => Promise<CallResult>
  signal: AbortSignal
}

export async function serveCalls (host: Libp2p<any>, ctx: ServeContext): Promise<void> {
  const { allow, self, find, run, signal } = ctx
  await handleRequests(host, C.ALGORITHMS_PROTOCOL, decodeCall, async (req, stream) => {
    const peer = stream.remotePeer.toString()
    if (!allow.has('*') && !allow.has(peer)) throw new CallNotAllowedError(`node ${peer} may not call algorithms here`)
    const v = await find(req.ref)
    if (v == null || !v.public) throw new AlgorithmNotFoundError(req.ref)
    // run as its owner (whose `run` role and isolation apply), never as the node itself
    return await run(v, req.payload, { peer: self, user: v.owner }, { timeout: Math.min(req.timeout, C.MAX_CALL_TIMEOUT), signal })
  }, { timeout: C.MAX_CALL_TIMEOUT + 60_000, maxMessageBytes: MAX_MESSAGE_BYTES })
}

async function hosts (routing: Routing | undefined, owner: string, name: string, signal: AbortSignal): Promise<PeerId[]> {
  const found: PeerId[] = []
  if (routing == null) return found
  for await (const provider of routing.providers(algorithmKey(owner, name), { signal, timeout: C.FIND_HOSTS_TIMEOUT })) {
    found.push(provider)
    if (found.length >= C.MAX_HOSTS_TRIED) break
  }
  return found
}

export interface ForwardContext {
  host?: Libp2p<any>
  routing?: Routing
  log: Logger
  callTimeout?: number
  signal: AbortSignal
}

/** Calls `owner/name` on the nodes that announce it, one after another, until one answers. */
export async function forwardCall (ref: { text: string, owner: string, name: string }, payload: unknown, caller: Submitter, options: CallOptions, ctx: ForwardContext): Promise<CallResult> {
  const signal = AbortSignal.any([ctx.signal, ...(options.signal == null ? [] : [options.signal])])
  const peers = await hosts(ctx.routing, ref.owner, ref.name, signal)
  if (peers.length === 0 || ctx.host == null) throw new AlgorithmNotFoundError(ref.text, { searched: 'this node and the grid' })
  const timeout = callTimeout(options.timeout, ctx.callTimeout)
  let last: unknown
  for (const peer of peers) {
    try {
      return await request(ctx.host, peer, C.ALGORITHMS_PROTOCOL, { op: 'call', ref: ref.text, payload, timeout, ...(caller.user == null ? {} : { user: caller.user }) }, decodeResult, {
        signal,
        timeout: timeout + 60_000,
        maxMessageBytes: MAX_MESSAGE_BYTES
      })
    } catch (err: any) {
      if (err?.name === 'RemoteError') {
        const Known = REMOTE[err.remoteName]
        if (Known != null) throw new Known(err.message)
        if (err.remoteName === 'AlgorithmNotFoundError' || err.kind === 'unavailable') { last = err; continue }
        throw err
      }
      last = err
      ctx.log('calling %s on %p failed: %s', ref.text, peer, err?.message ?? err)
    }
  }
  throw isPaipError(last) ? last : new AlgorithmNotFoundError(ref.text, { tried: peers.map(String) })
}
