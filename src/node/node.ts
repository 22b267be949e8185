import { ROUTES } from '../api/routes/index.js'
import { paipLogger } from '../logger.js'
import { createMetrics } from '../metrics/index.js'
import { checkNetwork } from './network.js'
import { defaultComponents } from './registry.js'
import { buildComponents, createNodeHost, openHome, serveApi, startBackground, startComponents, startHost, sweepLeftovers, undoAll } from './start.js'
import type { ApiRoute } from '../api/route.js'
import type { ComponentEntry, NodeComponents } from './components.js'
import type { NodeConfig } from './config-schema.js'
import type { StartClock } from './start-clock.js'
import type { UndoStack } from './start.js'
import type { ComponentLogger } from '@libp2p/interface'

export { usableBootstrap } from './network.js'

export interface NodeInit {
  home: string
  config: NodeConfig
  logger?: ComponentLogger
  /** Default: `defaultComponents()` from `registry.ts`. */
  components?: readonly ComponentEntry[]
  /** Default: every route group in ROUTES (`src/api/routes/index.ts`). */
  routes?: ReadonlyArray<ApiRoute<NodeComponents>>
  /** Problems worth telling the operator that do not stop the node (bad bootstrap addresses). */
  onWarning?: (message: string) => void
  /** The daemon process's start clock: the node marks its own steps on it and serves them on `GET /metrics`. */
  startClock?: StartClock
}

export interface Node {
  /** The node's parts; set once `start()` resolved. */
  readonly components: NodeComponents
  /** The HTTP API's URL (e.g. `http://127.0.0.1:9292`); set once started. */
  readonly url: string
  readonly home: string
  readonly started: boolean
  start: () => Promise<void>
  /** Stops everything in reverse order; safe to call twice or after a failed start. */
  stop: () => Promise<void>
}

/**
 * The composition root. `start()` takes the home's lock, loads the identity and admin token,
 * opens the database, creates libp2p with every component's DHT records, builds the
 * components in order, starts them, then the HTTP API. `stop()` undoes it in reverse.
 */
export function createNode (init: NodeInit): Node {
  const logger = init.logger ?? paipLogger()
  const log = logger.forComponent('paip:node')
  const warn = (message: string): void => {
    log(message)
    init.onWarning?.(message)
  }
  const entries = init.components ?? defaultComponents()
  const { config, home } = init
  /** Undo steps, run in reverse by stop(). */
  const undo: UndoStack = []
  let components: NodeComponents | undefined
  let url: string | undefined
  let started = false
  let stopping: Promise<void> | undefined

  async function start (): Promise<void> {
    if (started) return
    try {
      await startSteps()
      started = true
    } catch (err) {
      await stop()
      throw err
    }
  }

  async function startSteps (): Promise<void> {
    const clock = init.startClock
    const mark = (phase: string): void => { clock?.mark(phase) }
    const network = checkNetwork(config, warn)
    const opened = await openHome(home, config, undo, mark)
    const metrics = createMetrics()
    const host = await createNodeHost(config, network, opened, entries, logger, metrics)
    mark('libp2p create')
    const shutdown = new AbortController()
    undo.push({ what: 'shutdown signal', run: async () => { shutdown.abort(new Error('the node is stopping')) } })

    const built = await buildComponents({ home, config, logger, opened, host, shutdownSignal: shutdown.signal, metrics }, entries)
    components = built
    mark('components')
    await sweepLeftovers(built, warn)
    mark('blob sweep')
    await startHost(host, undo, log)
    mark('libp2p start')
    await startComponents(built, entries, undo)
    mark('components start')

    // the node's components have what every route group needs (ApiComponents): the compiler checks it here
    url = await serveApi(built, init.routes ?? ROUTES, undo, warn)
    mark('HTTP API')
    log('HTTP API on %s', url)
    startBackground(built, network.bootstrap, warn, log)
    for (const phase of clock?.phases ?? []) {
      metrics.startPhases.set({ phase: phase.name, clock: 'wall' }, phase.wallSeconds)
      metrics.startPhases.set({ phase: phase.name, clock: 'cpu' }, phase.cpuSeconds)
    }
  }

  async function stop (): Promise<void> {
    stopping ??= undoAll(undo, log).then(() => { started = false })
    await stopping
    stopping = undefined
  }

  return {
    get components () {
      if (components == null) throw new Error('the node has not started')
      return components
    },
    get url () {
      if (url == null) throw new Error('the node has not started')
      return url
    },
    home,
    get started () { return started },
    start,
    stop
  }
}
