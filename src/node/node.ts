import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { createApiServer } from '../api/server.js'
import { createAuthenticator } from '../api/auth.js'
import { ROUTES } from '../api/routes/index.js'
import { paipLogger } from '../logger.js'
import { createMetrics } from '../metrics/index.js'
import { createHost } from '../net/host.js'
import { createBlobStore } from '../storage/blobs.js'
import { databaseReferences, sweepBlobs } from '../storage/sweep.js'
import type { BlobReferences, SweepOptions } from '../storage/sweep.js'
import { VERSION } from '../version.js'
import { ensureConfigFile } from './config.js'
import { libp2pDatastore, openDatabase } from './database.js'
import { DIAL_TIMEOUT } from '../net/constants.js'
import { JOIN_ENOUGH_PEERS, JOIN_INTERVAL, JOIN_LOOKUP_TIMEOUT, JOIN_MAX_INTERVAL } from './constants.js'
import { runJoiner } from './join.js'
import { handleRtt } from '../net/rtt.js'
import { ConfigInvalidError, PortInUseError } from './errors.js'
import { homePath } from './home.js'
import { instrumentComponents } from './instrument.js'
import { loadIdentity } from './identity.js'
import { lockHome } from './lock.js'
import { CORE_RECORDS, defaultComponents } from './registry.js'
import { loadAdminToken } from './token.js'
import type { ApiRoute } from '../api/route.js'
import type { ApiServer } from '../api/server.js'
import type { Host } from '../net/host.js'
import type { ComponentEntry, NodeComponents, RecordNamespaces } from './components.js'
import type { NodeConfig } from './config-schema.js'
import type { ComponentLogger, Startable } from '@libp2p/interface'
import type { Selectors, Validators } from '@libp2p/kad-dht'

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
  const undo: Array<{ what: string, run: () => Promise<void> }> = []
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
    const listen = checkAddresses(config.network.listen, 'network.listen')
    const announce = checkAddresses(config.network.announce, 'network.announce')
    const bootstrap = usableBootstrap(config.network.bootstrap, warn)

    await mkdir(home, { recursive: true, mode: 0o700 })
    const lock = await lockHome(home)
    undo.push({ what: 'home lock', run: lock.release })
    await ensureConfigFile(home)
    const identity = await loadIdentity(home, config.identity.privateKey)
    const authenticator = createAuthenticator({ adminToken: await loadAdminToken(home) })

    const db = await openDatabase(homePath(home, 'db'), home)
    undo.push({ what: 'database', run: async () => { await db.close() } })
    const datastore = libp2pDatastore(db)
    await datastore.open()
    undo.push({ what: 'datastore', run: async () => { await datastore.close() } })

    const records = mergeRecords([...CORE_RECORDS, ...entries.map(e => e.records ?? {})])
    const metrics = createMetrics()
    const host = await createHost({
      metrics: metrics.libp2p,
      privateKey: identity.privateKey,
      listen,
      announce,
      bootstrap,
      swarmKey: config.network.swarmKey === '' ? undefined : new TextEncoder().encode(config.network.swarmKey),
      datastore,
      logger,
      addressFilter: config.network.addressFilter,
      validators: records.validators,
      selectors: records.selectors,
      allow: config.network.allow,
      maxConnections: config.network.maxConnections,
      inboundConnectionThreshold: config.network.inboundConnectionThreshold,
      querySelfInterval: config.network.querySelfInterval
    })
    const shutdown = new AbortController()
    undo.push({ what: 'shutdown signal', run: async () => { shutdown.abort(new Error('the node is stopping')) } })

    // the core parts; each component's field is filled in by its entry just below
    const built = {
      home,
      config,
      logger,
      db,
      blobs: createBlobStore({ dir: homePath(home, 'blobs') }),
      privateKey: identity.privateKey,
      peerId: identity.peerId,
      host,
      authenticator,
      startedAt: Date.now(),
      version: VERSION,
      shutdownSignal: shutdown.signal,
      metrics,
      sweepBlobs: async (options?: SweepOptions) => await sweepBlobs(built.blobs, blobSources(built), options)
    } as NodeComponents
    for (const entry of entries) {
      (built as any)[entry.name] = await entry.create(built)
    }
    if (built.marketplace != null && built.catalog != null && built.jobs != null) instrumentComponents(built, metrics)
    components = built

    // what a crash left (a write half-done, blobs of an add that never registered): nothing writes yet
    const swept = await built.sweepBlobs({ grace: 0, signal: shutdown.signal })
    if (swept.blobs + swept.temp > 0) {
      warn(`reclaimed ${swept.blobs} unreferenced blob(s) (${megabytes(swept.blobBytes)}) and ${swept.temp} temp file(s) (${megabytes(swept.tempBytes)}) left by an earlier crash`)
    }

    try {
      await host.start()
    } catch (err) {
      await Promise.resolve().then(async () => { await host.stop() }).catch(() => {})
      throw portError(err, 'libp2p') ?? err
    }
    undo.push({ what: 'libp2p', run: async () => { await host.stop() } })
    await handleRtt(host)
    log('libp2p started as %p on %a', host.peerId, host.getMultiaddrs())

    for (const entry of entries) {
      const part = (built as any)[entry.name] as Partial<Startable> | undefined
      if (typeof part?.start === 'function') {
        await part.start()
        undo.push({ what: entry.name, run: async () => { await part.stop?.() } })
      }
    }

    // the node's components have what every route group needs (ApiComponents): the compiler checks it here
    const routes: ReadonlyArray<ApiRoute<NodeComponents>> = init.routes ?? ROUTES
    const api = await createApiServer<NodeComponents>(built, { private: config.private, bodyLimit: config.api.bodyLimit, corsOrigins: config.api.corsOrigins, metrics: { metrics, access: config.api.metrics }, routes, onWarning: warn })
    undo.push({ what: 'HTTP API', run: async () => { await api.close() } })
    try {
      await api.listen({ host: config.api.host, port: config.api.port })
    } catch (err) {
      throw portError(err, 'HTTP API', config.api.host, config.api.port) ?? err
    }
    url = apiUrl(api)
    await writeFile(homePath(home, 'api'), url + '\n')
    undo.push({ what: 'api file', run: async () => { await unlink(homePath(home, 'api')).catch(() => {}) } })
    log('HTTP API on %s', url)
    void checkBootstrap(host, bootstrap, warn, shutdown.signal)
    void runJoiner(host, {
      enough: JOIN_ENOUGH_PEERS,
      interval: JOIN_INTERVAL,
      maxInterval: JOIN_MAX_INTERVAL,
      timeout: JOIN_LOOKUP_TIMEOUT,
      signal: shutdown.signal,
      log: logger.forComponent('paip:node:join')
    }).catch(err => { log.error('join lookups failed: %e', err) })
  }

  async function stop (): Promise<void> {
    stopping ??= (async () => {
      while (undo.length > 0) {
        const step = undo.pop()
        if (step == null) break
        try {
          await step.run()
        } catch (err) {
          log.error('stopping %s failed: %e', step.what, err)
        }
      }
      started = false
    })()
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

function checkAddresses (list: string[], path: string): string[] {
  const problems = []
  for (const address of list) {
    try {
      multiaddr(address)
    } catch (err: any) {
      problems.push({ path, source: 'config', message: `not a valid multiaddr: ${address} (${err.message})` })
    }
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems)
  return list
}

/** Bootstrap addresses that can be dialled; the rest are reported and skipped. */
export function usableBootstrap (list: string[], warn: (message: string) => void): string[] {
  const usable: string[] = []
  for (const address of list) {
    try {
      const ma = multiaddr(address)
      if (ma.getComponents().find(c => c.name === 'p2p') == null) {
        warn(`bootstrap address ${address} has no /p2p/<peer id>: skipped`)
        continue
      }
      usable.push(address)
    } catch (err: any) {
      warn(`bootstrap address ${address} is not a valid multiaddr (${err.message}): skipped`)
    }
  }
  return usable
}

/** Tells the operator about bootstrap peers that cannot be reached (the node runs on regardless). */
async function checkBootstrap (host: Host, list: string[], warn: (message: string) => void, signal: AbortSignal): Promise<void> {
  await Promise.all(list.map(async address => {
    try {
      await host.dial(multiaddr(address), { signal: AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT)]) })
    } catch (err: any) {
      if (signal.aborted) return
      warn(`bootstrap peer ${address} could not be reached (${String(err.message ?? err).split('\n')[0]}): running without it`)
    }
  }))
}

function mergeRecords (list: RecordNamespaces[]): { validators: Validators, selectors: Selectors } {
  const validators: Validators = {}
  const selectors: Selectors = {}
  for (const records of list) {
    for (const [name, validator] of Object.entries(records.validators ?? {})) {
      if (validators[name] != null) throw new Error(`two components register DHT validators for the record namespace ${name}`)
      validators[name] = validator
    }
    for (const [name, selector] of Object.entries(records.selectors ?? {})) {
      if (selectors[name] != null) throw new Error(`two components register DHT selectors for the record namespace ${name}`)
      selectors[name] = selector
    }
  }
  return { validators, selectors }
}

function portError (err: any, what: string, host?: string, port?: number): PortInUseError | undefined {
  for (let e = err; e != null; e = e.cause) {
    const inner = [e, ...(Array.isArray(e.errors) ? e.errors : [])]
    for (const x of inner) {
      if (x?.code === 'EADDRINUSE') {
        const p = port ?? x.port ?? Number(/:(\d+)\s*$/.exec(String(x.message))?.[1] ?? NaN)
        return new PortInUseError(host ?? x.address ?? '?', p, what, { cause: err })
      }
    }
  }
  // libp2p reports failed listen addresses in its message only
  const match = /EADDRINUSE: address already in use (\S+):(\d+)/.exec(String(err?.message))
  if (match != null) return new PortInUseError(match[1], Number(match[2]), what, { cause: err })
  return undefined
}

function apiUrl (api: ApiServer): string {
  const address = api.server.address()
  if (address == null || typeof address === 'string') throw new Error('the HTTP API is not listening on a TCP port')
  let host = address.address
  if (host === '0.0.0.0') host = '127.0.0.1'
  if (host === '::') host = '::1'
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

/** Where the blob sweep learns what is referenced: every component with `blobReferences()`, and the database. */
function blobSources (components: NodeComponents): BlobReferences[] {
  const sources: BlobReferences[] = [databaseReferences('database', components.db as any)]
  for (const [name, part] of Object.entries(components)) {
    if (typeof (part as any)?.blobReferences === 'function') sources.push({ name, references: options => (part as any).blobReferences(options) })
  }
  return sources
}

function megabytes (bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
