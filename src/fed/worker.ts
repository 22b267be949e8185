import { createHash } from 'node:crypto'
import { cidOfBytes } from '../storage/cid.js'
import { sleep } from '../time.js'
import { JOB_POLL } from './constants.js'
import { BadFedKeyError, BadUpdateError, FedNotAllowedError, TrainingFailedError } from './errors.js'
import { maskUpdate, newKeyPair, pairSeed, signKey, verifyKey } from './secure.js'
import type { FedStore } from './store.js'
import type { FedRequest, TrainAnswer } from './wire.js'
import type { Catalog } from '../catalog/index.js'
import type { Jobs, Submitter } from '../jobs/index.js'
import type { BlobStore } from '../storage/blobs.js'
import type { SignedFedKey } from './secure.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

/**
 * The worker side of a round, on a node holding the dataset: checks the coordinator may train
 * here, fetches the global model by CID (verified by the catalog), runs the training protocol
 * as a job of this node (so the coordinator never reads the job's raw outputs), checks the
 * update it wrote (`update.json`: `{ samples, weights }`) and answers with it, masked when
 * the round is secure. The data stays where it is: only the update leaves.
 */

export interface WorkerComponents {
  self: string
  privateKey: PrivateKey
  jobs: Jobs
  catalog: Catalog
  blobs: BlobStore
  store: FedStore
  /** Whether a coordinator (and its user) may run rounds here. */
  canCoordinate: (who: Submitter) => Promise<boolean>
  log: (fmt: string, ...args: any[]) => void
}

/** Largest update file a worker reads (bytes). */
const MAX_UPDATE_BYTES = 16 * 1024 * 1024

/** A namespace per coordinator and run: another coordinator reusing a run ID gets nothing of it. */
export function workNamespace (coordinator: string, run: string): string {
  return createHash('sha256').update(`${coordinator}\n${run}`).digest('hex').slice(0, 24)
}

export function workerJobId (coordinator: string, run: string, round: number, attempt: number): string {
  return `fed-${workNamespace(coordinator, run)}-r${round}.${attempt}`
}

async function readBlob (blobs: BlobStore, cid: string, options?: AbortOptions): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of blobs.get(cid, options)) {
    size += chunk.byteLength
    if (size > MAX_UPDATE_BYTES) throw new BadUpdateError(`update over ${MAX_UPDATE_BYTES} bytes`)
    parts.push(chunk)
  }
  return Buffer.concat(parts)
}

/** Checks an update file: `{ samples: positive integer, weights: finite numbers }`. */
export function parseUpdate (bytes: Uint8Array, length?: number): { samples: number, weights: number[] } {
  let value: any
  try { value = JSON.parse(Buffer.from(bytes).toString('utf8')) } catch { throw new BadUpdateError('the update is not JSON') }
  const samples = value?.samples
  const weights = value?.weights
  if (!Number.isSafeInteger(samples) || samples <= 0) throw new BadUpdateError('the update has no positive integer `samples`')
  if (!Array.isArray(weights) || weights.length === 0 || !weights.every((w: unknown) => typeof w === 'number' && Number.isFinite(w))) {
    throw new BadUpdateError('the update has no list of finite `weights`')
  }
  if (length != null && weights.length !== length) throw new BadUpdateError(`the update has ${weights.length} weights, not ${length}`)
  return { samples, weights }
}

/** A round's attempt, as keys and masks name it: `<round>.<attempt>`. */
export function stepOf (req: { round: number, attempt: number }): string {
  return `${req.round}.${req.attempt}`
}

export function createWorker (c: WorkerComponents) {
  async function allow (coordinator: string, user?: string): Promise<void> {
    if (!await c.canCoordinate({ peer: coordinator, ...(user == null ? {} : { user }) })) {
      throw new FedNotAllowedError(`${user == null ? '' : user + ' at '}${coordinator} may not run federated rounds on this node`, { peer: coordinator })
    }
  }

  async function pairOf (coordinator: string, run: string, step: string): Promise<ReturnType<typeof newKeyPair>> {
    return await c.store.keyPair(workNamespace(coordinator, run), step, newKeyPair)
  }

  async function waitJob (id: string, signal: AbortSignal): Promise<Awaited<ReturnType<Jobs['status']>>> {
    while (true) {
      const job = await c.jobs.status(id)
      if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job
      await sleep(JOB_POLL, signal)
    }
  }

  return {
    async keys (coordinator: string, req: Extract<FedRequest, { op: 'keys' }>): Promise<SignedFedKey> {
      await allow(coordinator)
      return await signKey(c.privateKey, c.self, req.run, stepOf(req), await pairOf(coordinator, req.run, stepOf(req)))
    },

    async train (coordinator: string, req: Extract<FedRequest, { op: 'train' }>, signal: AbortSignal): Promise<TrainAnswer> {
      await allow(coordinator, req.user)
      let pair: ReturnType<typeof newKeyPair> | undefined
      if (req.keys != null) {
        pair = await pairOf(coordinator, req.run, stepOf(req))
        const mine = req.keys.find(k => k.peer === c.self)
        if (mine == null || mine.publicKey !== pair.publicKey) throw new BadFedKeyError('the round\'s keys do not hold this node\'s key')
        for (const key of req.keys) await verifyKey(key, req.run, stepOf(req))
        await c.store.putPeers(workNamespace(coordinator, req.run), stepOf(req), req.keys)
      }
      const id = workerJobId(coordinator, req.run, req.round, req.attempt)
      await c.catalog.fetch('model', req.model, { signal, from: [coordinator] })
      const started = Date.now()
      await c.jobs.submit({ id, protocol: req.protocol, parameters: req.parameters, dataset: req.dataset, model: req.model, timeLimit: req.timeLimit }, { peer: c.self }, { signal })
      const job = await waitJob(id, signal)
      if (job.state !== 'succeeded') throw new TrainingFailedError(`training job ${id} ${job.state}${job.reason == null ? '' : ': ' + job.reason}`, { job: id })
      const output = job.outputs.find(o => o.path === 'update.json')
      if (output == null) throw new BadUpdateError(`training job ${id} wrote no update.json`)
      const bytes = await readBlob(c.blobs, output.cid, { signal })
      const update = parseUpdate(bytes)
      const computeMs = (job.finishedAt ?? Date.now()) - (job.startedAt ?? started)
      c.log('round %d of %s: trained on %d samples', req.round, req.run, update.samples)
      if (pair == null || req.keys == null) {
        return { peer: c.self, job: id, cid: output.cid, update: Buffer.from(bytes).toString('base64'), samples: update.samples, computeMs }
      }
      const masked = maskUpdate(update.weights, update.samples, pair, c.self, req.keys, req.run, stepOf(req))
      const body = Buffer.from(JSON.stringify({ masked: masked.map(v => v.toString(16)) }))
      return { peer: c.self, job: id, cid: cidOfBytes(body).toString(), update: body.toString('base64'), computeMs }
    },

    async unmask (coordinator: string, req: Extract<FedRequest, { op: 'unmask' }>): Promise<{ seeds: Record<string, string> }> {
      await allow(coordinator)
      const ns = workNamespace(coordinator, req.run)
      const peers = await c.store.getPeers(ns, stepOf(req))
      if (peers == null) throw new BadFedKeyError(`this node trained in no secure round ${req.round} of ${req.run}`)
      if (req.dropped.includes(c.self)) throw new BadFedKeyError('this node did not drop out')
      const pair = await pairOf(coordinator, req.run, stepOf(req))
      const seeds: Record<string, string> = {}
      for (const dropped of req.dropped) {
        const key = peers.find(k => k.peer === dropped)
        if (key == null) throw new BadFedKeyError(`${dropped} was not in round ${req.round}`)
        seeds[dropped] = pairSeed(pair, c.self, key, req.run, stepOf(req)).toString('base64')
      }
      c.log('round %d of %s: revealed the seeds with %d dropped worker(s)', req.round, req.run, req.dropped.length)
      return { seeds }
    }
  }
}

export type Worker = ReturnType<typeof createWorker>
