import { FedRunEndedError, FedRunNotFoundError } from './errors.js'
import { abortable, sleep } from '../time.js'
import type { createCoordinator } from './coordinator.js'
import type { FedStore } from './store.js'
import type { FedRun, StoredFedRun } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

/** A run as shown outside: without its protocols' text. */
export function publicRun (run: StoredFedRun): FedRun {
  const { train, aggregate, ...rest } = run
  void train; void aggregate
  return rest
}

export interface LocalRuns {
  /** Drives a run this node coordinates; resolves with it once it ended (or the node stops). */
  launch: (run: StoredFedRun, shutdown: AbortSignal) => Promise<FedRun>
  /** A run this node coordinates, as stored. */
  get: (id: string) => Promise<StoredFedRun>
  cancel: (id: string) => Promise<FedRun>
  wait: (id: string, options?: AbortOptions) => Promise<FedRun>
  /** Runs this node coordinates, newest first. */
  list: () => Promise<FedRun[]>
  /** Resolves once every launched run has let go (after the shutdown signal aborted). */
  settled: () => Promise<void>
}

/** The runs this node coordinates: launched, cancelled, waited for; a failed or cancelled one is stored so. */
export function createLocalRuns (components: { store: FedStore, coordinator: Pick<ReturnType<typeof createCoordinator>, 'drive'> }): LocalRuns {
  const { store, coordinator } = components
  const active = new Map<string, { controller: AbortController, done: Promise<FedRun> }>()

  function launch (run: StoredFedRun, shutdown: AbortSignal): Promise<FedRun> {
    const controller = new AbortController()
    const signal = AbortSignal.any([controller.signal, shutdown])
    const done = coordinator.drive(run, signal).then(publicRun, async (err: any) => {
      const current = await store.get(run.id) ?? run
      if (shutdown.aborted && !controller.signal.aborted) return publicRun(current) // stopping: resumed on start
      const ended: StoredFedRun = controller.signal.aborted
        ? { ...current, state: 'cancelled', reason: 'cancelled', updatedAt: Date.now() }
        : { ...current, state: 'failed', reason: err?.message ?? String(err), updatedAt: Date.now() }
      // the last line goes before the ended state: whoever sees the state ended can read the whole log
      await store.log(run.id, ended.state === 'cancelled' ? 'cancelled' : `failed: ${ended.reason}`)
      await store.put(ended)
      return publicRun(ended)
    }).finally(() => { active.delete(run.id) })
    active.set(run.id, { controller, done })
    return done
  }

  async function get (id: string): Promise<StoredFedRun> {
    const run = await store.get(id)
    if (run == null) throw new FedRunNotFoundError(id)
    return run
  }

  return {
    launch,
    get,
    async cancel (id) {
      const run = await get(id)
      if (run.state !== 'running') throw new FedRunEndedError(id, run.state)
      const entry = active.get(id)
      if (entry != null) { entry.controller.abort(new Error('cancelled')); return await entry.done }
      const ended: StoredFedRun = { ...run, state: 'cancelled', reason: 'cancelled', updatedAt: Date.now() }
      await store.put(ended)
      return publicRun(ended)
    },
    async wait (id, options = {}) {
      while (true) {
        const entry = active.get(id)
        // a run driven here: its end, or the caller's signal (a wait never outlives its deadline)
        if (entry != null) return await abortable(entry.done, options.signal)
        const run = await get(id)
        if (run.state !== 'running') return publicRun(run)
        await sleep(100, options.signal)
      }
    },
    async list () {
      const out: FedRun[] = []
      for await (const run of store.list()) out.push(publicRun(run))
      return out.sort((a, b) => b.createdAt - a.createdAt)
    },
    async settled () {
      await Promise.all([...active.values()].map(async a => await a.done.catch(() => {})))
    }
  }
}
