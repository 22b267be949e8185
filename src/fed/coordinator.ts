import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { cidOfBytes } from '../storage/cid.js'
import { FED_RPC_TIMEOUT, FED_TAG, HOLDERS_RETRY, JOB_POLL, ROUND_ATTEMPTS } from './constants.js'
import { BadUpdateError } from './errors.js'
import { unmaskSum } from './secure.js'
import { parseUpdate } from './worker.js'
import type { FedStore } from './store.js'
import type { FedRound, FedWorker, StoredFedRun } from './types.js'
import type { FedClient, TrainAnswer } from './wire.js'
import type { Worker } from './worker.js'
import type { Catalog } from '../catalog/index.js'
import type { Jobs, Job } from '../jobs/index.js'
import type { BlobStore } from '../storage/blobs.js'
import type { SignedFedKey } from './secure.js'

/**
 * The coordinator's round loop. Each round: find the holders of the tag (offers), pick a
 * share of them, (secure: collect their signed round keys,) send each the training request,
 * verify the updates that come back before the deadline, (secure: have the survivors reveal
 * their seeds with the dropped,) run the aggregation protocol on this node over the updates
 * and register its output as the next model version. The run is written to the database
 * after every step; a restarted coordinator plays the round it was in again, and every step
 * of a round is idempotent (the same job IDs, the same keys, the same catalog names).
 */

export interface CoordinatorComponents {
  self: string
  dir: string
  jobs: Jobs
  catalog: Catalog
  blobs: BlobStore
  store: FedStore
  client?: FedClient
  worker: Worker
  log: (fmt: string, ...args: any[]) => void
}

export class RoundFailedError extends Error {
  name = 'RoundFailedError'
}

function sleep (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason); return }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** The holders asked in a round: a share of them, in an order fixed by the run and round. */
export function pickWorkers (holders: string[], run: string, round: number, fraction: number, minNodes: number): string[] {
  const score = (peer: string): string => createHash('sha256').update(`${run}\n${round}\n${peer}`).digest('hex')
  const ordered = [...holders].sort((a, b) => score(a).localeCompare(score(b)))
  const n = Math.min(ordered.length, Math.max(minNodes, Math.ceil(fraction * ordered.length)))
  return ordered.slice(0, n)
}

async function readAll (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
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

export function createCoordinator (c: CoordinatorComponents) {
  async function note (run: StoredFedRun, line: string): Promise<void> {
    c.log('%s: %s', run.id, line)
    await c.store.log(run.id, line)
  }

  async function holders (run: StoredFedRun, deadline: AbortSignal): Promise<string[]> {
    while (true) {
      const offers = await c.jobs.offers(run.dataset, undefined, { signal: AbortSignal.any([deadline, AbortSignal.timeout(FED_RPC_TIMEOUT)]) }).catch(() => [])
      const peers = [...new Set(offers.filter(o => o.holds).map(o => o.peer))]
      if (peers.length >= run.minNodes) return peers
      await note(run, `${peers.length} holder(s) of ${run.dataset} found, ${run.minNodes} needed: looking again`)
      await sleep(HOLDERS_RETRY, deadline)
    }
  }

  async function keysOf (run: StoredFedRun, peer: string, round: number, attempt: number, signal: AbortSignal): Promise<SignedFedKey> {
    if (peer === c.self) return await c.worker.keys(c.self, { op: 'keys', run: run.id, round, attempt })
    if (c.client == null) throw new Error('no network')
    return await c.client.keys(peer, run.id, round, attempt, { signal })
  }

  async function trainOn (run: StoredFedRun, peer: string, round: number, attempt: number, keys: SignedFedKey[] | undefined, signal: AbortSignal, timeLimit: number): Promise<TrainAnswer & { requestBytes: number }> {
    const req = { run: run.id, round, attempt, protocol: run.train, parameters: run.parameters, dataset: run.dataset, model: run.model, timeLimit, ...(run.user == null ? {} : { user: run.user }), ...(keys == null ? {} : { keys }) }
    if (peer === c.self) return { ...await c.worker.train(c.self, { op: 'train', ...req }, signal), requestBytes: 0 }
    if (c.client == null) throw new Error('no network')
    return await c.client.train(peer, req, { signal })
  }

  async function unmaskFrom (run: StoredFedRun, peer: string, round: number, attempt: number, dropped: string[], signal: AbortSignal): Promise<Record<string, string>> {
    if (peer === c.self) return (await c.worker.unmask(c.self, { op: 'unmask', run: run.id, round, attempt, dropped })).seeds
    if (c.client == null) throw new Error('no network')
    return await c.client.unmask(peer, run.id, round, attempt, dropped, { signal })
  }

  async function waitJob (id: string, signal: AbortSignal): Promise<Job> {
    while (true) {
      const job = await c.jobs.status(id)
      if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job
      await sleep(JOB_POLL, signal)
    }
  }

  /** Runs the aggregation protocol over the updates and registers the next model version. */
  async function aggregate (run: StoredFedRun, round: number, attempt: number, updates: Array<{ peer: string, bytes: Uint8Array }>, signal: AbortSignal): Promise<{ cid: string, name: string }> {
    const name = `${run.name}-r${round}`
    const existing = await c.catalog.get('model', name).catch(() => undefined)
    if (existing != null) return { cid: existing.manifest, name }
    const work = path.join(c.dir, run.id, `r${round}.${attempt}`)
    await fs.rm(work, { recursive: true, force: true })
    await fs.mkdir(path.join(work, 'updates'), { recursive: true })
    for (const u of updates) await fs.writeFile(path.join(work, 'updates', `${u.peer}.json`), u.bytes)
    const setName = `${run.name}-r${round}.${attempt}-updates`
    const set = await c.catalog.get('dataset', setName).catch(async () =>
      await c.catalog.add('dataset', { path: path.join(work, 'updates') }, { name: setName, tags: [FED_TAG], description: `updates of round ${round} of federated run ${run.id}` }, { signal }))
    const jobId = `fed-agg-${run.id}-r${round}.${attempt}`
    await c.jobs.submit({ id: jobId, protocol: run.aggregate, dataset: set.manifest, model: run.model, timeLimit: run.roundTimeout }, { peer: c.self, ...(run.user == null ? {} : { user: run.user }) }, { signal })
    const job = await waitJob(jobId, signal)
    if (job.state !== 'succeeded') throw new RoundFailedError(`the aggregation job ${jobId} ${job.state}${job.reason == null ? '' : ': ' + job.reason}`)
    if (!job.outputs.some(o => o.path === 'model.json')) throw new RoundFailedError(`the aggregation job ${jobId} wrote no model.json`)
    const out = path.join(work, 'model')
    for (const o of job.outputs) {
      const target = path.join(out, o.path)
      await fs.mkdir(path.dirname(target), { recursive: true })
      await fs.writeFile(target, await readAll(c.blobs.get(o.cid, { signal })))
    }
    const from = await c.catalog.get('model', run.model)
    const entry = await c.catalog.add('model', { path: out }, {
      name,
      tags: [...new Set([FED_TAG, ...from.tags])],
      framework: (from as any).framework ?? 'python',
      task: (from as any).task ?? 'classification',
      description: `round ${round} of federated run ${run.id} (${updates.length} update(s) of ${run.dataset})`,
      public: true,
      ...((from as any).entrypoint == null ? {} : { entrypoint: (from as any).entrypoint })
    }, { signal })
    await fs.rm(work, { recursive: true, force: true })
    return { cid: entry.manifest, name }
  }

  /** One attempt of one round; throws RoundFailedError when fewer than `minNodes` updates count. */
  async function playRound (run: StoredFedRun, round: number, attempt: number, signal: AbortSignal): Promise<FedRound> {
    const startedAt = Date.now()
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(run.roundTimeout)])
    const record: FedRound = { round, attempt, from: run.model, workers: [], startedAt, bytesIn: 0, bytesOut: 0 }
    const chosen = pickWorkers(await holders(run, deadline), run.id, round, run.fraction, run.minNodes)
    await note(run, `round ${round}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${chosen.length} worker(s) from ${run.model}`)
    const workers = new Map<string, FedWorker>(chosen.map(peer => [peer, { peer, state: 'dropped' }]))
    let keys: SignedFedKey[] | undefined
    if (run.secure) {
      const got = await Promise.all(chosen.map(async peer => {
        try { return await keysOf(run, peer, round, attempt, AbortSignal.any([deadline, AbortSignal.timeout(FED_RPC_TIMEOUT)])) } catch (err: any) {
          Object.assign(workers.get(peer) as FedWorker, { state: 'refused', reason: err?.message ?? String(err) })
          return undefined
        }
      }))
      keys = got.filter((k): k is SignedFedKey => k != null && k.peer === chosen[got.indexOf(k)])
    }
    const asked = keys == null ? chosen : keys.map(k => k.peer)
    const updates: Array<{ peer: string, bytes: Uint8Array }> = []
    const remaining = Math.max(1, run.roundTimeout - (Date.now() - startedAt))
    await Promise.all(asked.map(async peer => {
      const w = workers.get(peer) as FedWorker
      const t0 = Date.now()
      try {
        const answer = await trainOn(run, peer, round, attempt, keys, deadline, remaining)
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
        Object.assign(w, { state: refused ? 'refused' : 'dropped', reason: deadline.aborted && !signal.aborted ? 'round deadline passed' : (err?.message ?? String(err)), ms: Date.now() - t0 })
      }
    }))
    if (signal.aborted) throw signal.reason
    // every update must have the shape most of them have: the odd ones are left out
    const vectors = new Map<string, number[] | bigint[]>()
    for (const u of [...updates]) {
      try { vectors.set(u.peer, keys == null ? parseUpdate(u.bytes).weights : parseMasked(u.peer, u.bytes)) } catch (err: any) {
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
    const kept = updates.filter(u => vectors.has(u.peer))
    record.workers = [...workers.values()]
    for (const w of record.workers) if (w.state !== 'ok') await note(run, `round ${round}: ${w.peer} left out (${w.state}: ${w.reason})`)
    if (kept.length < run.minNodes) throw new RoundFailedError(`round ${round}: ${kept.length} update(s), ${run.minNodes} needed`)
    let inputs = kept
    if (keys != null) {
      const survivors = kept.map(u => u.peer)
      const dropped = asked.filter(p => !survivors.includes(p))
      const revealed: Array<{ survivor: string, dropped: string, seed: Uint8Array }> = []
      if (dropped.length > 0) {
        await note(run, `round ${round}: recovering the masks of ${dropped.length} dropped worker(s) from ${survivors.length} survivor(s)`)
        for (const survivor of survivors) {
          let seeds: Record<string, string>
          try { seeds = await unmaskFrom(run, survivor, round, attempt, dropped, AbortSignal.any([signal, AbortSignal.timeout(FED_RPC_TIMEOUT)])) } catch (err: any) {
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
      inputs = [{ peer: 'secure-sum', bytes: Buffer.from(JSON.stringify(total)) }]
      await note(run, `round ${round}: unmasked the sum of ${kept.length} update(s) (${total.samples} samples)`)
    }
    const t0 = Date.now()
    const next = await aggregate(run, round, attempt, inputs, signal)
    record.aggregateMs = Date.now() - t0
    record.model = next.cid
    record.modelName = next.name
    record.finishedAt = Date.now()
    await note(run, `round ${round}: model ${next.name} (${next.cid}) from ${kept.length} update(s) in ${record.finishedAt - startedAt} ms`)
    return record
  }

  /** Plays the run's rounds from the one it is in until the last, persisting after each. */
  async function drive (run: StoredFedRun, signal: AbortSignal): Promise<StoredFedRun> {
    while (run.round <= run.rounds) {
      let attempt = (run.attempt ?? 0) + 1
      let record: FedRound | undefined
      for (; attempt <= ROUND_ATTEMPTS; attempt++) {
        run.attempt = attempt - 1
        await c.store.put({ ...run, updatedAt: Date.now() })
        try {
          record = await playRound(run, run.round, attempt, signal)
          break
        } catch (err: any) {
          if (signal.aborted) throw err
          if (err?.name !== 'RoundFailedError' && err?.name !== 'BadUpdateError') throw err
          await note(run, `${err.message}${attempt < ROUND_ATTEMPTS ? ': trying the round again' : ''}`)
          if (attempt === ROUND_ATTEMPTS) throw err
        }
      }
      if (record == null) throw new RoundFailedError(`round ${run.round} failed`)
      run = { ...run, model: record.model as string, history: [...run.history, record], round: run.round + 1, attempt: 0, updatedAt: Date.now() }
      await c.store.put(run)
    }
    run = { ...run, round: run.rounds, state: 'succeeded', updatedAt: Date.now() }
    await c.store.put(run)
    await note(run, `done: ${run.rounds} round(s), model ${run.model}`)
    return run
  }

  return { drive, pickWorkers }
}
