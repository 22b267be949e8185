import { randomUUID } from 'node:crypto'
import { normalizeTag } from '../catalog/schema.js'
import { ADMIN_USER, createAccessCheck } from '../jobs/access.js'
import { paipLogger } from '../logger.js'
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import { createRouting } from '../net/routing.js'
import * as C from './constants.js'
import { createCoordinator } from './coordinator.js'
import { FedNotAllowedError, FedRunEndedError, FedRunNotFoundError, InvalidFedRunError } from './errors.js'
import { FedStore } from './store.js'
import { fedClient, serveFed, unserveFed } from './wire.js'
import { createWorker } from './worker.js'
import type { FedDb } from './store.js'
import type { FedRun, FedRunRequest, StoredFedRun } from './types.js'
import type { Catalog } from '../catalog/index.js'
import type { JobAccessInit, Jobs, Submitter, UserRoles } from '../jobs/index.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, PrivateKey, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export * from './types.js'
export * from './errors.js'
export { FED_PROTOCOL } from './constants.js'
export type { FedDb } from './store.js'

export interface FedComponents {
  /** A sublevel of the node's database (e.g. `sublevel(db, 'fed')`). */
  db: FedDb
  jobs: Jobs
  catalog: Catalog
  blobs: BlobStore
  host?: Libp2p<any>
  /** The node's announce-and-discover service (runs are announced and their coordinator found through it); default: one on `host`. */
  routing?: Routing
  privateKey: PrivateKey
  users?: UserRoles
  logger?: ComponentLogger
}

export interface FedInit {
  /** Working directory of the coordinator (update sets and model versions before registration). */
  dir: string
  /** Who may coordinate rounds on this node (as `jobs.allow`; default: this node's own users). */
  allow?: JobAccessInit
  /** Default round deadline (ms). */
  roundTimeout?: number
}

export interface Fed extends Startable {
  readonly self: string
  /** Starts a run coordinated by this node (a retry with the same ID returns the existing run). */
  run: (req: FedRunRequest, options?: AbortOptions) => Promise<FedRun>
  /** A run's status, from this node or its coordinator. */
  status: (id: string, options?: AbortOptions) => Promise<FedRun>
  logs: (id: string, offset?: number, options?: AbortOptions) => Promise<string[]>
  cancel: (id: string, by?: Submitter, options?: AbortOptions) => Promise<FedRun>
  /** Runs this node coordinates, newest first. */
  list: () => Promise<FedRun[]>
  /** Resolves when the run ends (tests, benchmarks). */
  wait: (id: string, options?: AbortOptions) => Promise<FedRun>
}

const ID = /^[A-Za-z0-9._-]{1,64}$/
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/

/** The DHT key a coordinator provides for each of its runs (found by `status` from any node). */
export function fedCid (id: string): CID {
  return dhtKey(KEY_NAMESPACES.fed, id)
}

function publicRun (run: StoredFedRun): FedRun {
  const { train, aggregate, ...rest } = run
  void train; void aggregate
  return rest
}

export function createFed (components: FedComponents, init: FedInit): Fed {
  const logger = components.logger ?? paipLogger()
  const log = logger.forComponent('paip:fed')
  const host = components.host
  const self = components.jobs.self
  const store = new FedStore(components.db)
  const client = host == null ? undefined : fedClient(host)
  const routing = components.routing ?? (host == null ? undefined : createRouting({ host, logger: components.logger ?? paipLogger() }))
  const canCoordinate = createAccessCheck(self, init.allow, components.users)
  const worker = createWorker({ self, privateKey: components.privateKey, jobs: components.jobs, catalog: components.catalog, blobs: components.blobs, store, canCoordinate, log })
  const coordinator = createCoordinator({ self, dir: init.dir, jobs: components.jobs, catalog: components.catalog, blobs: components.blobs, store, client, worker, log })
  const active = new Map<string, { controller: AbortController, done: Promise<FedRun> }>()
  let shutdown = new AbortController()
  let started = false

  function launch (run: StoredFedRun): Promise<FedRun> {
    const controller = new AbortController()
    const signal = AbortSignal.any([controller.signal, shutdown.signal])
    const done = coordinator.drive(run, signal).then(publicRun, async (err: any) => {
      const current = await store.get(run.id) ?? run
      if (shutdown.signal.aborted && !controller.signal.aborted) return publicRun(current) // stopping: resumed on start
      const ended: StoredFedRun = controller.signal.aborted
        ? { ...current, state: 'cancelled', reason: 'cancelled', updatedAt: Date.now() }
        : { ...current, state: 'failed', reason: err?.message ?? String(err), updatedAt: Date.now() }
      await store.put(ended)
      await store.log(run.id, ended.state === 'cancelled' ? 'cancelled' : `failed: ${ended.reason}`)
      return publicRun(ended)
    }).finally(() => { active.delete(run.id) })
    active.set(run.id, { controller, done })
    return done
  }

  function announce (id: string): void {
    routing?.announceLater([fedCid(id)])
  }

  /** The coordinator of a run: this node, or a provider of its key that knows it. */
  async function locate (id: string, options: AbortOptions = {}): Promise<string> {
    if (!ID.test(id)) throw new FedRunNotFoundError(id)
    if (await store.get(id) != null) return self
    if (routing == null || client == null) throw new FedRunNotFoundError(id)
    const signal = AbortSignal.any([AbortSignal.timeout(C.FED_RPC_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
    for await (const provider of routing.providers(fedCid(id), { signal, timeout: C.FED_RPC_TIMEOUT })) {
      try { await client.status(provider.toString(), id, { signal }); return provider.toString() } catch { /* not there */ }
    }
    throw new FedRunNotFoundError(id)
  }

  async function localRun (id: string): Promise<StoredFedRun> {
    const run = await store.get(id)
    if (run == null) throw new FedRunNotFoundError(id)
    return run
  }

  async function cancelLocal (id: string): Promise<FedRun> {
    const run = await localRun(id)
    if (run.state !== 'running') throw new FedRunEndedError(id, run.state)
    const entry = active.get(id)
    if (entry != null) { entry.controller.abort(new Error('cancelled')); return await entry.done }
    const ended: StoredFedRun = { ...run, state: 'cancelled', reason: 'cancelled', updatedAt: Date.now() }
    await store.put(ended)
    return publicRun(ended)
  }

  async function validate (req: FedRunRequest): Promise<StoredFedRun> {
    const id = req.id ?? randomUUID()
    if (!ID.test(id)) throw new InvalidFedRunError('the run ID must be 1 to 64 of A-Z a-z 0-9 . _ -')
    if (!Number.isSafeInteger(req.rounds) || req.rounds < 1 || req.rounds > C.MAX_ROUNDS) throw new InvalidFedRunError(`--rounds must be an integer from 1 to ${C.MAX_ROUNDS}`)
    const minNodes = req.minNodes ?? 1
    if (!Number.isSafeInteger(minNodes) || minNodes < 1 || minNodes > C.MAX_WORKERS) throw new InvalidFedRunError(`--min-nodes must be an integer from 1 to ${C.MAX_WORKERS}`)
    const fraction = req.fraction ?? 1
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new InvalidFedRunError('--fraction must be a number in (0, 1]')
    let dataset: string
    try { dataset = normalizeTag(req.dataset) } catch { throw new InvalidFedRunError(`--dataset must be a tag such as '#mnist', not ${JSON.stringify(req.dataset)}`) }
    const roundTimeout = req.roundTimeout ?? init.roundTimeout ?? C.ROUND_TIMEOUT
    if (!Number.isSafeInteger(roundTimeout) || roundTimeout < 1) throw new InvalidFedRunError('the round deadline must be a positive number of ms')
    if (typeof req.train !== 'string' || req.train === '' || typeof req.aggregate !== 'string' || req.aggregate === '') throw new InvalidFedRunError('a run needs a training and an aggregation protocol')
    const name = req.name ?? `fed-${id.slice(0, 8)}`
    if (!NAME.test(name)) throw new InvalidFedRunError('the run name must be letters, digits, . _ - (starting with a letter or digit)')
    const model = await components.catalog.get('model', req.init).catch(() => { throw new InvalidFedRunError(`--init ${req.init}: no such model on this node (add it with paip models add)`) })
    if (!model.public) throw new InvalidFedRunError(`--init ${req.init}: the model must be public, so that workers can fetch it (paip models add --public)`)
    const now = Date.now()
    return {
      id, state: 'running', coordinator: self, ...(req.user == null ? {} : { user: req.user }), name, dataset, rounds: req.rounds, minNodes, fraction,
      secure: req.secure === true, roundTimeout, parameters: req.parameters ?? {}, init: model.manifest, model: model.manifest, round: 1, attempt: 0,
      history: [], createdAt: now, updatedAt: now, train: req.train, aggregate: req.aggregate
    }
  }

  async function serve (): Promise<void> {
    if (host == null) return
    await serveFed(host, async (req, ctx) => {
      const remote = ctx.remotePeer.toString()
      switch (req.op) {
        case 'keys': return await worker.keys(remote, req)
        case 'train': return await worker.train(remote, req, AbortSignal.any([ctx.signal, shutdown.signal]))
        case 'unmask': return await worker.unmask(remote, req)
        case 'status': return { run: publicRun(await localRun(req.id)) }
        case 'logs': await localRun(req.id); return { lines: await store.logs(req.id, req.offset) }
        case 'cancel': {
          const run = await localRun(req.id)
          if (!await canCoordinate({ peer: remote, ...(req.user == null ? {} : { user: req.user }) })) throw new FedNotAllowedError(`${remote} may not cancel run ${run.id}`)
          return { run: await cancelLocal(req.id) }
        }
      }
    }, C.ROUND_TIMEOUT * 6)
  }

  return {
    self,
    async start () {
      if (started) return
      started = true
      shutdown = new AbortController()
      await serve()
      for await (const run of store.list()) {
        if (run.state === 'running' && run.coordinator === self) {
          await store.log(run.id, `coordinator restarted: resuming at round ${run.round}`)
          void launch(run)
        }
      }
    },
    async stop () {
      if (!started) return
      started = false
      shutdown.abort(new Error('node stopping'))
      await Promise.all([...active.values()].map(async a => await a.done.catch(() => {})))
      if (host != null) await unserveFed(host).catch(() => {})
    },
    async run (req) {
      if (req.id != null) {
        const existing = await store.get(req.id)
        if (existing != null) return publicRun(existing)
      }
      if (!await canCoordinate({ peer: self, ...(req.user == null ? {} : { user: req.user }) })) {
        throw new FedNotAllowedError(`${req.user ?? 'this user'} may not run jobs on this node (the run role)`)
      }
      const run = await validate(req)
      await store.put(run)
      await store.log(run.id, `run ${run.id} started: ${run.rounds} round(s) over ${run.dataset}${run.secure ? ', secure' : ''}, from ${run.model}`)
      announce(run.id)
      void launch(run)
      return publicRun(run)
    },
    async status (id, options) {
      const peer = await locate(id, options)
      if (peer === self) return publicRun(await localRun(id))
      return await (client as NonNullable<typeof client>).status(peer, id, options)
    },
    async logs (id, offset = 0, options) {
      const peer = await locate(id, options)
      if (peer === self) return await store.logs(id, offset)
      return await (client as NonNullable<typeof client>).logs(peer, id, offset, options)
    },
    async cancel (id, by, options) {
      const peer = await locate(id, options)
      if (peer === self) {
        const run = await localRun(id)
        // a user of this node cancels only its own runs (the admin, any)
        if (by?.user != null && by.user !== ADMIN_USER && run.user !== by.user) throw new FedNotAllowedError(`run ${id} is not ${by.user}'s`)
        return await cancelLocal(id)
      }
      return await (client as NonNullable<typeof client>).cancel(peer, id, by?.user, options)
    },
    async list () {
      const out: FedRun[] = []
      for await (const run of store.list()) out.push(publicRun(run))
      return out.sort((a, b) => b.createdAt - a.createdAt)
    },
    async wait (id, options = {}) {
      while (true) {
        const entry = active.get(id)
        if (entry != null) return await entry.done
        const run = await localRun(id)
        if (run.state !== 'running') return publicRun(run)
        await new Promise(resolve => setTimeout(resolve, 100))
        options.signal?.throwIfAborted()
      }
    }
  }
}
