import { ADMIN_USER, createAccessCheck } from '../jobs/access.js'
import { paipLogger } from '../logger.js'
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import { createRouting } from '../net/routing.js'
import * as C from './constants.js'
import { createCoordinator } from './coordinator.js'
import { FedNotAllowedError, FedRunNotFoundError } from './errors.js'
import { checkRunRequest, RUN_ID } from './request.js'
import { createLocalRuns, publicRun } from './runs.js'
import type { LocalRuns } from './runs.js'
import { FedStore } from './store.js'
import { fedClient, serveFed, unserveFed } from './wire.js'
import { createWorker } from './worker.js'
import type { FedClient } from './wire.js'
import type { Worker } from './worker.js'
import type { AccessCheck } from '../jobs/access.js'
import type { FedDb } from './store.js'
import type { FedRun, FedRunRequest } from './types.js'
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

/** The DHT key a coordinator provides for each of its runs (found by `status` from any node). */
export function fedCid (id: string): CID {
  return dhtKey(KEY_NAMESPACES.fed, id)
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
  const runs = createLocalRuns({ store, coordinator })
  const locate = async (id: string, options?: AbortOptions): Promise<string> => await locateRun(id, { self, store, routing, client }, options)
  let shutdown = new AbortController()
  let started = false

  return {
    self,
    async start () {
      if (started) return
      started = true
      shutdown = new AbortController()
      if (host != null) await serveRuns(host, { worker, runs, store, canCoordinate, shutdown: shutdown.signal })
      for await (const run of store.list()) {
        if (run.state === 'running' && run.coordinator === self) {
          await store.log(run.id, `coordinator restarted: resuming at round ${run.round}`)
          void runs.launch(run, shutdown.signal)
        }
      }
    },
    async stop () {
      if (!started) return
      started = false
      shutdown.abort(new Error('node stopping'))
      await runs.settled()
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
      const run = await checkRunRequest(req, { self, catalog: components.catalog, roundTimeout: init.roundTimeout })
      await store.put(run)
      await store.log(run.id, `run ${run.id} started: ${run.rounds} round(s) over ${run.dataset}${run.secure ? ', secure' : ''}, from ${run.model}`)
      routing?.announceLater([fedCid(run.id)])
      void runs.launch(run, shutdown.signal)
      return publicRun(run)
    },
    async status (id, options) {
      const peer = await locate(id, options)
      if (peer === self) return publicRun(await runs.get(id))
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
        const run = await runs.get(id)
        // a user of this node cancels only its own runs (the admin, any)
        if (by?.user != null && by.user !== ADMIN_USER && run.user !== by.user) throw new FedNotAllowedError(`run ${id} is not ${by.user}'s`)
        return await runs.cancel(id)
      }
      return await (client as NonNullable<typeof client>).cancel(peer, id, by?.user, options)
    },
    list: runs.list,
    wait: runs.wait
  }
}

/** The coordinator of a run: this node, or a provider of its key that knows it. */
async function locateRun (id: string, ctx: { self: string, store: FedStore, routing?: Routing, client?: FedClient }, options: AbortOptions = {}): Promise<string> {
  const { store, routing, client } = ctx
  if (!RUN_ID.test(id)) throw new FedRunNotFoundError(id)
  if (await store.get(id) != null) return ctx.self
  if (routing == null || client == null) throw new FedRunNotFoundError(id)
  const signal = AbortSignal.any([AbortSignal.timeout(C.FED_RPC_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
  for await (const provider of routing.providers(fedCid(id), { signal, timeout: C.FED_RPC_TIMEOUT })) {
    try { await client.status(provider.toString(), id, { signal }); return provider.toString() } catch { /* not there */ }
  }
  throw new FedRunNotFoundError(id)
}

/** Answers other nodes on the fed protocol: workers' steps, and the status, logs and cancel of runs coordinated here. */
async function serveRuns (host: Libp2p<any>, ctx: { worker: Worker, runs: LocalRuns, store: FedStore, canCoordinate: AccessCheck, shutdown: AbortSignal }): Promise<void> {
  const { worker, runs, store, canCoordinate, shutdown } = ctx
  await serveFed(host, async (req, stream) => {
    const remote = stream.remotePeer.toString()
    switch (req.op) {
      case 'keys': return await worker.keys(remote, req)
      case 'train': return await worker.train(remote, req, AbortSignal.any([stream.signal, shutdown]))
      case 'unmask': return await worker.unmask(remote, req)
      case 'status': return { run: publicRun(await runs.get(req.id)) }
      case 'logs': await runs.get(req.id); return { lines: await store.logs(req.id, req.offset) }
      case 'cancel': {
        const run = await runs.get(req.id)
        if (!await canCoordinate({ peer: remote, ...(req.user == null ? {} : { user: req.user }) })) throw new FedNotAllowedError(`${remote} may not cancel run ${run.id}`)
        return { run: await runs.cancel(req.id) }
      }
    }
  }, C.ROUND_TIMEOUT * 6)
}
