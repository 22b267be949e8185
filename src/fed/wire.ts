import { peerIdFromString } from '@libp2p/peer-id'
import { handleRequests, request } from '../net/rpc.js'
import { FED_PROTOCOL, FED_RPC_TIMEOUT, MAX_FED_MESSAGE_BYTES, MAX_WORKERS } from './constants.js'
import type { SignedFedKey } from './secure.js'
import type { FedRun } from './types.js'
import type { HandlerContext } from '../net/rpc.js'
import type { AbortOptions, Libp2p } from '@libp2p/interface'

/**
 * `/paip/fed/1.0.0`: one JSON request, one JSON answer (length-prefixed, 32 MiB cap).
 *   { op: 'keys', run, round, attempt }                     → SignedFedKey (the worker's round key)
 *   { op: 'train', run, round, protocol, parameters, dataset, model, timeLimit, user?, keys? }
 *       → { peer, job, cid, update (base64), samples?, computeMs }   (held open while it trains)
 *   { op: 'unmask', run, round, dropped }           → { seeds: { <peer>: base64 } }
 *   { op: 'status', id } → { run };  { op: 'logs', id, offset? } → { lines };  { op: 'cancel', id, user? } → { run }
 * The coordinator is the authenticated remote peer; `user` is who asked on its node.
 */

export type FedRequest =
  | { op: 'keys', run: string, round: number, attempt: number }
  | { op: 'train', run: string, round: number, attempt: number, protocol: string, parameters: Record<string, string>, dataset: string, model: string, timeLimit: number, user?: string, keys?: SignedFedKey[] }
  | { op: 'unmask', run: string, round: number, attempt: number, dropped: string[] }
  | { op: 'status', id: string }
  | { op: 'logs', id: string, offset: number }
  | { op: 'cancel', id: string, user?: string }

export interface TrainAnswer {
  peer: string
  job: string
  /** CID of the update bytes (sha2-256, raw). */
  cid: string
  /** The update: `update.json` of the job, or the masked vector with `secure`. */
  update: string
  /** Plain rounds only: the samples the worker trained on. */
  samples?: number
  computeMs?: number
}

const ID = /^[A-Za-z0-9._-]{1,128}$/

function str (v: unknown, what: string, max = 1024): string {
  if (typeof v !== 'string' || v === '' || v.length > max) throw new Error(`${what} must be a string of at most ${max} characters`)
  return v
}

function id (v: unknown, what: string): string {
  const s = str(v, what, 128)
  if (!ID.test(s)) throw new Error(`${what} is not an ID`)
  return s
}

function int (v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) throw new Error(`${what} must be an integer in ${min}..${max}`)
  return v as number
}

function peer (v: unknown, what: string): string {
  const s = str(v, what, 128)
  peerIdFromString(s)
  return s
}

function stringMap (v: unknown): Record<string, string> {
  if (v == null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('parameters must be an object')
  const entries = Object.entries(v as Record<string, unknown>)
  if (entries.length > 256) throw new Error('too many parameters')
  return Object.fromEntries(entries.map(([k, x]) => [str(k, 'parameter name', 128), typeof x === 'string' && x.length <= 65536 ? x : (() => { throw new Error(`parameter ${k} must be a string`) })()]))
}

export function decodeKey (v: any): SignedFedKey {
  return { peer: peer(v?.peer, 'peer'), publicKey: str(v?.publicKey, 'publicKey', 64), signature: str(v?.signature, 'signature', 256) }
}

export function decodeRequest (v: any): FedRequest {
  switch (v?.op) {
    case 'keys': return { op: 'keys', run: id(v.run, 'run'), round: int(v.round, 'round', 1), attempt: int(v.attempt, 'attempt', 1, 1000) }
    case 'train': {
      if (v.keys != null && (!Array.isArray(v.keys) || v.keys.length > MAX_WORKERS)) throw new Error('keys must be a list')
      return {
        op: 'train',
        run: id(v.run, 'run'),
        round: int(v.round, 'round', 1),
        attempt: int(v.attempt, 'attempt', 1, 1000),
        protocol: str(v.protocol, 'protocol', 1024 * 1024),
        parameters: stringMap(v.parameters),
        dataset: str(v.dataset, 'dataset'),
        model: str(v.model, 'model'),
        timeLimit: int(v.timeLimit, 'timeLimit', 1),
        ...(v.user == null ? {} : { user: str(v.user, 'user', 128) }),
        ...(v.keys == null ? {} : { keys: v.keys.map(decodeKey) })
      }
    }
    case 'unmask':
      if (!Array.isArray(v.dropped) || v.dropped.length > MAX_WORKERS) throw new Error('dropped must be a list')
      return { op: 'unmask', run: id(v.run, 'run'), round: int(v.round, 'round', 1), attempt: int(v.attempt, 'attempt', 1, 1000), dropped: v.dropped.map((p: unknown) => peer(p, 'dropped')) }
    case 'status': return { op: 'status', id: id(v.id, 'id') }
    case 'logs': return { op: 'logs', id: id(v.id, 'id'), offset: v.offset == null ? 0 : int(v.offset, 'offset') }
    case 'cancel': return { op: 'cancel', id: id(v.id, 'id'), ...(v.user == null ? {} : { user: str(v.user, 'user', 128) }) }
    default: throw new Error('unknown op')
  }
}

function decodeTrain (v: any): TrainAnswer {
  return {
    peer: peer(v?.peer, 'peer'),
    job: str(v?.job, 'job', 256),
    cid: str(v?.cid, 'cid', 128),
    update: str(v?.update, 'update', MAX_FED_MESSAGE_BYTES),
    ...(v?.samples == null ? {} : { samples: int(v.samples, 'samples', 1) }),
    ...(v?.computeMs == null ? {} : { computeMs: int(v.computeMs, 'computeMs') })
  }
}

function decodeRun (v: any): FedRun {
  if (typeof v?.run !== 'object' || v.run == null || typeof v.run.id !== 'string' || typeof v.run.state !== 'string') throw new Error('not a run')
  return v.run as FedRun
}

export type FedHandler = (req: FedRequest, ctx: HandlerContext) => Promise<unknown>

export async function serveFed (host: Libp2p, handler: FedHandler, timeout: number): Promise<void> {
  await handleRequests(host, FED_PROTOCOL, decodeRequest, handler, { maxMessageBytes: MAX_FED_MESSAGE_BYTES, timeout })
}

export async function unserveFed (host: Libp2p): Promise<void> {
  await host.unhandle(FED_PROTOCOL)
}

export interface FedClient {
  keys: (peer: string, run: string, round: number, attempt: number, options?: AbortOptions) => Promise<SignedFedKey>
  train: (peer: string, req: Omit<Extract<FedRequest, { op: 'train' }>, 'op'>, options: AbortOptions) => Promise<TrainAnswer & { requestBytes: number }>
  unmask: (peer: string, run: string, round: number, attempt: number, dropped: string[], options?: AbortOptions) => Promise<Record<string, string>>
  status: (peer: string, id: string, options?: AbortOptions) => Promise<FedRun>
  logs: (peer: string, id: string, offset: number, options?: AbortOptions) => Promise<string[]>
  cancel: (peer: string, id: string, user: string | undefined, options?: AbortOptions) => Promise<FedRun>
}

export function fedClient (host: Libp2p): FedClient {
  const ask = async <T>(p: string, body: FedRequest, decode: (v: any) => T, options: AbortOptions & { timeout?: number } = {}): Promise<T> =>
    await request(host, peerIdFromString(p), FED_PROTOCOL, body, decode, { maxMessageBytes: MAX_FED_MESSAGE_BYTES, timeout: options.timeout ?? FED_RPC_TIMEOUT, ...(options.signal == null ? {} : { signal: options.signal }) })
  return {
    keys: async (p, run, round, attempt, options) => await ask(p, { op: 'keys', run, round, attempt }, decodeKey, options),
    async train (p, req, options) {
      const body: FedRequest = { op: 'train', ...req }
      const answer = await ask(p, body, decodeTrain, { ...options, timeout: req.timeLimit })
      return { ...answer, requestBytes: Buffer.byteLength(JSON.stringify(body)) }
    },
    unmask: async (p, run, round, attempt, dropped, options) => await ask(p, { op: 'unmask', run, round, attempt, dropped }, v => {
      if (typeof v?.seeds !== 'object' || v.seeds == null) throw new Error('no seeds')
      return Object.fromEntries(Object.entries(v.seeds).map(([k, s]) => [peer(k, 'peer'), str(s, 'seed', 64)]))
    }, options),
    status: async (p, i, options) => await ask(p, { op: 'status', id: i }, decodeRun, options),
    logs: async (p, i, offset, options) => await ask(p, { op: 'logs', id: i, offset }, v => {
      if (!Array.isArray(v?.lines) || !v.lines.every((l: unknown) => typeof l === 'string')) throw new Error('no lines')
      return v.lines as string[]
    }, options),
    cancel: async (p, i, user, options) => await ask(p, { op: 'cancel', id: i, ...(user == null ? {} : { user }) }, decodeRun, options)
  }
}
