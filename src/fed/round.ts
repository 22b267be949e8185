import { createHash } from 'node:crypto'
import { cidOfBytes } from '../storage/cid.js'
import { sleep } from '../time.js'
import { aggregateRound } from './aggregate.js'
import { FED_RPC_TIMEOUT, HOLDERS_RETRY } from './constants.js'
import { BadUpdateError, RoundFailedError } from './errors.js'
import { unmaskSum } from './secure.js'
import { parseUpdate } from './worker.js'
import type { AggregateComponents } from './aggregate.js'
import type { FedStore } from './store.js'
import type { FedRound, FedWorker, StoredFedRun } from './types.js'
import type { FedClient, TrainAnswer } from './wire.js'
import type { Worker } from './worker.js'
import type { Jobs } from '../jobs/index.js'
import type { SignedFedKey } from './secure.js'

/**
 * One round of a federated run, as the coordinator plays it: find the holders of the tag
 * (offers), pick a share of them, (secure: collect their signed round keys,) send each the
 * training request, verify the updates that come back before the deadline, (secure: have the
 * survivors reveal their seeds with the dropped,) and aggregate (aggregate.ts).
 */

export interface CoordinatorComponents extends AggregateComponents {
  jobs: Jobs
  store: FedStore
  client?: FedClient
  worker: Worker
  log: (fmt: string, ...args: any[]) => void
}

/** What a round uses: the coordinator's components and its run log. */
export interface RoundContext extends CoordinatorComponents {
  note: (run: StoredFedRun, line: string) => Promise<void>
}

/** Which attempt of which round of which run. */
interface At { run: StoredFedRun, round: number, attempt: number }

type Update = { peer: string, bytes: Uint8Array }

/** The holders asked in a round: a share of them, in an order fixed by the run and round. */
export function pickWorkers (holders: string[], run: string, round: number, fraction: number, minNodes: number): string[] {
  const score = (peer: string): string => createHash('sha256').update(`${run}\n${round}\n${peer}`).digest('hex')
  const ordered = [...holders].sort((a, b) => score(a).localeCompare(score(b)))
  const n = Math.min(ordered.length, Math.max(minNodes, Math.ceil(fraction * ordered.length)))
  return ordered.slice(0, n)
}

/** A masked update: `{ masked: [hex, ...] }`, each a value of the ring (at most 64 bits). */
function parseMasked (peer: string, bytes: Uint8Array): bigint[] {
  let value: any
  try { value = JSON.parse(Buffer.from(bytes).toString('utf8')) } catch { throw new BadUpdateError(`the masked update of ${peer} is not JSON`) }
  if (!Array.isArray(value?.masked) || value.masked.length === 0 || !value.masked.every((v: unknown) => typeof v === 'string' && /^[0-9a-f]{1,16}$/.test(v))) {
    throw new BadUpdateError(`the masked update of ${peer} is malformed`)
  }
  return (value.masked as string[]).map(v => BigInt('0x' + v))
}

/** The holders of the run's dataset, looked for again until there are `minNodes`. */
async function holders (c: RoundContext, run: StoredFedRun, deadline: AbortSignal): Promise<string[]> {
  while (true) {
    const offers = await c.jobs.offers(run.dataset, undefined, { signal: AbortSignal.any([deadline, AbortSignal.timeout(FED_RPC_TIMEOUT)]) }).catch(() => [])
    const peers = [...new Set(offers.filter(o => o.holds).map(o => o.peer))]
    if (peers.length >= run.minNodes) return peers
    await c.note(run, `${peers.length} holder(s) of ${run.dataset} found, ${run.minNodes} needed: looking again`)
    await sleep(HOLDERS_RETRY, deadline)
  }
}

async function keysOf (c: RoundContext, { run, round, attempt }: At, peer: string, signal: AbortSignal): Promise<SignedFedKey> {
  if (peer === c.self) return await c.worker.keys(c.self, { op: 'keys', run: run.id, round, attempt })
  if (c.client == null) throw new Error('no network')
  return await c.client.keys(peer, run.id, round, attempt, { signal })
}

async function trainOn (c: RoundContext, { run, round, attempt }: At, peer: string, keys: SignedFedKey[] | undefined, signal: AbortSignal, timeLimit: number): Promise<TrainAnswer & { requestBytes: number }> {
  const req = { run: run.id, round, attempt, protocol: run.train, parameters: run.parameters, dataset: run.dataset, model: run.model, timeLimit, ...(run.user == null ? {} : { user: run.user }), ...(keys == null ? {} : { keys }) }
  if (peer === c.self) return { ...await c.worker.train(c.self, { op: 'train', ...req }, signal), requestBytes: 0 }
  if (c.client == null) throw new Error('no network')
  return await c.client.train(peer, req, { signal })
}

async function unmaskFrom (c: RoundContext, { run, round, attempt }: At, peer: string, dropped: string[], signal: AbortSignal): Promise<Record<string, string>> {
  if (peer === c.self) return (await c.worker.unmask(c.self, { op: 'unmask', run: run.id, round, attempt, dropped })).seeds
  if (c.client == null) throw new Error('no network')
  return await c.client.unmask(peer, run.id, round, attempt, dropped, { signal })
}

/** Secure rounds: the chosen workers' signed round keys (a worker that gives none is refused). */
async function collectKeys (c: RoundContext, at: At, chosen: string[], workers: Map<string, FedWorker>, deadline: AbortSignal): Promise<SignedFedKey[]> {
  const got = await Promise.all(chosen.map(async peer => {
    try { return await keysOf(c, at, peer, AbortSignal.any([deadline, AbortSignal.timeout(FED_RPC_TIMEOUT)])) } catch (err: any) {
      Object.assign(workers.get(peer) as FedWorker, { state: 'refused', reason: err?.message ?? String(err) })
      return undefined
    }
  }))
  return got.filter((k): k is SignedFedKey => k != null && k.peer === chosen[got.indexOf(k)])
}

/** Asks each worker to train; keeps the updates that match their CID (and, plain, their sample count). */
async function collectUpdates (c: RoundContext, at: At, asked: string[], keys: SignedFedKey[] | undefined, workers: Map<string, FedWorker>, record: FedRound, signals: { deadline: AbortSignal, signal: AbortSignal, timeLimit: number, endsAt: number }): Promise<Update[]> {
  const { deadline, signal, timeLimit, endsAt } = signals
  const updates: Update[] = []
  await Promise.all(asked.map(async peer => {
    const w = workers.get(peer) as FedWorker
    const t0 = Date.now()
    try {
      const answer = await trainOn(c, at, peer, keys, deadline, timeLimit)
      const bytes = Buffer.from(answer.update, 'base64')
      if (answer.peer !== peer || cidOfBytes(bytes).toString() !== answer.cid) throw new BadUpdateError(`the update of ${peer} does not match its CID`)
      if (keys == null) {
        const parsed = parseUpdate(bytes)
        if (parsed.samples !== answer.samples) throw new BadUpdateError(`${peer} reported ${answer.samples ?? 'no'} samples, its update ${parsed.samples}`)
      }
      record.bytesIn = (record.bytesIn ?? 0) + bytes.byteLength
      record.bytesOut = (record.bytesOut ?? 0) + answer.requestBytes
      Object.assign(w, { state: 'ok', update: answer.cid, bytes: bytes.byteLength, ms: Date.now() - t0, ...(answer.samples == null ? {} : { samples: answer.samples }), ...(answer.computeMs == null ? {} : { computeMs: answer.computeMs }) })
      updates.push({ peer, bytes })
    } catch (err: any) {
      const refused = err?.name === 'FedNotAllowedError' || err?.name === 'DatasetNotHeldError'
      // the train request's own timeout ends at the deadline too, and its timer may fire first
      const late = (deadline.aborted || Date.now() >= endsAt) && !signal.aborted
      Object.assign(w, { state: refused ? 'refused' : 'dropped', reason: late ? 'round deadline passed' : (err?.message ?? String(err)), ms: Date.now() - t0 })
    }
  }))
  return updates
}

/** Every update must have the shape most of them have: the odd ones are left out (marked dropped). */
function commonShape (updates: Update[], workers: Map<string, FedWorker>, masked: boolean): Map<string, number[] | bigint[]> {
  const vectors = new Map<string, number[] | bigint[]>()
  for (const u of [...updates]) {
    try { vectors.set(u.peer, masked ? parseMasked(u.peer, u.bytes) : parseUpdate(u.bytes).weights) } catch (err: any) {
      Object.assign(workers.get(u.peer) as FedWorker, { state: 'dropped', reason: err?.message ?? String(err) })
    }
  }
  const counts = new Map<number, number>()
  for (const v of vectors.values()) counts.set(v.length, (counts.get(v.length) ?? 0) + 1)
  const expected = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0]
  for (const [peer, v] of vectors) {
    if (v.length !== expected) {
      vectors.delete(peer)
      Object.assign(workers.get(peer) as FedWorker, { state: 'dropped', reason: `an update of ${v.length} values, the others have ${expected}` })
    }
  }
  return vectors
}

/** Secure rounds: the survivors reveal their seeds with the dropped workers; the unmasked sum is the one input. */
async function secureSum (c: RoundContext, at: At, asked: string[], kept: Update[], vectors: Map<string, number[] | bigint[]>, record: FedRound, signal: AbortSignal): Promise<Update[]> {
  const { run, round } = at
  const survivors = kept.map(u => u.peer)
  const dropped = asked.filter(p => !survivors.includes(p))
  const revealed: Array<{ survivor: string, dropped: string, seed: Uint8Array }> = []
  if (dropped.length > 0) {
    await c.note(run, `round ${round}: recovering the masks of ${dropped.length} dropped worker(s) from ${survivors.length} survivor(s)`)
    for (const survivor of survivors) {
      let seeds: Record<string, string>
      try { seeds = await unmaskFrom(c, at, survivor, dropped, AbortSignal.any([signal, AbortSignal.timeout(FED_RPC_TIMEOUT)])) } catch (err: any) {
        throw new RoundFailedError(`round ${round}: ${survivor} did not reveal its seeds (${err?.message ?? err})`)
      }
      for (const d of dropped) {
        if (seeds[d] == null) throw new RoundFailedError(`round ${round}: ${survivor} revealed no seed with ${d}`)
        const seed = Buffer.from(seeds[d], 'base64')
        record.bytesIn = (record.bytesIn ?? 0) + seed.byteLength
        revealed.push({ survivor, dropped: d, seed })
      }
    }
  }
  const total = unmaskSum(kept.map(u => vectors.get(u.peer) as bigint[]), revealed)
  await c.note(run, `round ${round}: unmasked the sum of ${kept.length} update(s) (${total.samples} samples)`)
  return [{ peer: 'secure-sum', bytes: Buffer.from(JSON.stringify(total)) }]
}

/** One attempt of one round; throws RoundFailedError when fewer than `minNodes` updates count. */
export async function playRound (c: RoundContext, run: StoredFedRun, round: number, attempt: number, signal: AbortSignal): Promise<FedRound> {
  const at: At = { run, round, attempt }
  const startedAt = Date.now()
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(run.roundTimeout)])
  const record: FedRound = { round, attempt, from: run.model, workers: [], startedAt, bytesIn: 0, bytesOut: 0 }
  const chosen = pickWorkers(await holders(c, run, deadline), run.id, round, run.fraction, run.minNodes)
  await c.note(run, `round ${round}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${chosen.length} worker(s) from ${run.model}`)
  const workers = new Map<string, FedWorker>(chosen.map(peer => [peer, { peer, state: 'dropped' }]))
  const keys = run.secure ? await collectKeys(c, at, chosen, workers, deadline) : undefined
  const asked = keys == null ? chosen : keys.map(k => k.peer)
  const timeLimit = Math.max(1, run.roundTimeout - (Date.now() - startedAt))
  const updates = await collectUpdates(c, at, asked, keys, workers, record, { deadline, signal, timeLimit, endsAt: startedAt + run.roundTimeout })
  if (signal.aborted) throw signal.reason
  const vectors = commonShape(updates, workers, keys != null)
  const kept = updates.filter(u => vectors.has(u.peer))
  record.workers = [...workers.values()]
  for (const w of record.workers) if (w.state !== 'ok') await c.note(run, `round ${round}: ${w.peer} left out (${w.state}: ${w.reason})`)
  if (kept.length < run.minNodes) throw new RoundFailedError(`round ${round}: ${kept.length} update(s), ${run.minNodes} needed`)
  const inputs = keys == null ? kept : await secureSum(c, at, asked, kept, vectors, record, signal)
  const t0 = Date.now()
  const next = await aggregateRound(c, run, round, attempt, inputs, signal)
  record.aggregateMs = Date.now() - t0
  record.model = next.cid
  record.modelName = next.name
  record.finishedAt = Date.now()
  await c.note(run, `round ${round}: model ${next.name} (${next.cid}) from ${kept.length} update(s) in ${record.finishedAt - startedAt} ms`)
  return record
}
