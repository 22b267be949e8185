/**
 * The steps of a node's start, in the order `createNode` runs them. Each step that opens
 * something pushes how to close it on the undo stack, which `stop()` runs in reverse.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { createAuthenticator } from '../api/auth.js'
import { createApiServer } from '../api/server.js'
import { createHost } from '../net/host.js'
import { handleRtt } from '../net/rtt.js'
import { createBlobStore } from '../storage/blobs.js'
import { databaseReferences, sweepBlobs } from '../storage/sweep.js'
import { VERSION } from '../version.js'
import { ensureConfigFile } from './config.js'
import { JOIN_ENOUGH_PEERS, JOIN_IDLE_INTERVAL, JOIN_INTERVAL, JOIN_LOOKUP_TIMEOUT, JOIN_MAX_INTERVAL } from './constants.js'
import { libp2pDatastore, openDatabase } from './database.js'
import { homePath } from './home.js'
import { instrumentComponents } from './instrument.js'
import { loadIdentity } from './identity.js'
import { runJoiner } from './join.js'
import { lockHome } from './lock.js'
import { peerRecordsInMemory } from './peer-records.js'
import { checkBootstrap, mergeRecords, portError } from './network.js'
import { CORE_RECORDS } from './registry.js'
import { loadAdminToken } from './token.js'
import type { ApiRoute } from '../api/route.js'
import type { ApiServer } from '../api/server.js'
import type { Authenticator } from '../api/auth.js'
import type { Metrics } from '../metrics/index.js'
import type { Host } from '../net/host.js'
import type { Database } from '../storage/level.js'
import type { BlobReferences, SweepOptions } from '../storage/sweep.js'
import type { ComponentEntry, NodeComponents } from './components.js'
import type { NodeConfig } from './config-schema.js'
import type { NetworkAddresses } from './network.js'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { PeerRecordsDatastore } from './peer-records.js'

/** What `stop()` undoes, last first. */
export type UndoStack = Array<{ what: string, run: () => Promise<void> }>

/** Runs the undo steps, last first; a step that fails is logged and the rest still run. */
export async function undoAll (undo: UndoStack, log: Logger): Promise<void> {
  while (undo.length > 0) {
    const step = undo.pop()
    if (step == null) break
    try {
      await step.run()
    } catch (err) {
      log.error('stopping %s failed: %e', step.what, err)
    }
  }
}

/** What the node opens in its home before libp2p. */
export interface OpenedHome {
  privateKey: PrivateKey
  peerId: PeerId
  authenticator: Authenticator
  db: Database
  /** libp2p's datastore (peer store, DHT records) on its own sublevel, peer records held in memory (peer-records.ts). */
  datastore: PeerRecordsDatastore
}

/**
 * Takes the home's lock, writes a missing config file, loads the identity and admin token, opens
 * the database; `mark` ends the start clock's phases (src/node/start-clock.ts).
 */
export async function openHome (home: string, config: NodeConfig, undo: UndoStack, mark: (phase: string) => void = () => {}): Promise<OpenedHome> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  const lock = await lockHome(home)
  undo.push({ what: 'home lock', run: lock.release })
  await ensureConfigFile(home)
  mark('home lock and config')
  const identity = await loadIdentity(home, config.identity.privateKey)
  const authenticator = createAuthenticator({ adminToken: await loadAdminToken(home) })
  mark('identity and token')

  const db = await openDatabase(homePath(home, 'db'), home)
  undo.push({ what: 'database', run: async () => { await db.close() } })
  const level = libp2pDatastore(db)
  await level.open()
  undo.push({ what: 'datastore', run: async () => { await level.close() } })
  const datastore = peerRecordsInMemory(level)
  undo.push({ what: 'peer records', run: async () => { await datastore.close() } })
  mark('database open')
  return { privateKey: identity.privateKey, peerId: identity.peerId, authenticator, db, datastore }
}

/** libp2p (not started), with every component's DHT record namespaces. */
export async function createNodeHost (config: NodeConfig, network: NetworkAddresses, opened: OpenedHome, entries: readonly ComponentEntry[], logger: ComponentLogger, metrics: Metrics): Promise<Host> {
  const records = mergeRecords([...CORE_RECORDS, ...entries.map(e => e.records ?? {})])
  return await createHost({
    metrics: metrics.libp2p,
    privateKey: opened.privateKey,
    listen: network.listen,
    announce: network.announce,
    bootstrap: network.bootstrap,
    swarmKey: config.network.swarmKey === '' ? undefined : new TextEncoder().encode(config.network.swarmKey),
    datastore: opened.datastore,
    logger,
    addressFilter: config.network.addressFilter,
    validators: records.validators,
    selectors: records.selectors,
    allow: config.network.allow,
    maxConnections: config.network.maxConnections,
    inboundConnectionThreshold: config.network.inboundConnectionThreshold,
    querySelfInterval: config.network.querySelfInterval
  })
}

/** What the node builds itself, before the components. */
export interface CoreParts {
  home: string
  config: NodeConfig
  logger: ComponentLogger
  opened: OpenedHome
  host: Host
  shutdownSignal: AbortSignal
  metrics: Metrics
}

/** The core components, then each entry's component in list order (each sees those built before it). */
export async function buildComponents (core: CoreParts, entries: readonly ComponentEntry[]): Promise<NodeComponents> {
  const { home, opened } = core
  // each component's field is filled in by its entry just below
  const built = {
    home,
    config: core.config,
    logger: core.logger,
    db: opened.db,
    blobs: createBlobStore({ dir: homePath(home, 'blobs') }),
    privateKey: opened.privateKey,
    peerId: opened.peerId,
    host: core.host,
    authenticator: opened.authenticator,
    startedAt: Date.now(),
    version: VERSION,
    shutdownSignal: core.shutdownSignal,
    metrics: core.metrics,
    sweepBlobs: async (options?: SweepOptions) => await sweepBlobs(built.blobs, blobSources(built), options)
  } as NodeComponents
  for (const entry of entries) {
    (built as any)[entry.name] = await entry.create(built)
  }
  instrumentComponents(built, core.metrics)
  return built
}

/** Reclaims what a crash left (a write half-done, blobs of an add that never registered) while nothing writes yet. */
export async function sweepLeftovers (built: NodeComponents, warn: (message: string) => void): Promise<void> {
  const swept = await built.sweepBlobs({ grace: 0, signal: built.shutdownSignal })
  if (swept.blobs + swept.temp > 0) {
    warn(`reclaimed ${swept.blobs} unreferenced blob(s) (${megabytes(swept.blobBytes)}) and ${swept.temp} temp file(s) (${megabytes(swept.tempBytes)}) left by an earlier crash`)
  }
}

export async function startHost (host: Host, undo: UndoStack, log: Logger): Promise<void> {
  try {
    await host.start()
  } catch (err) {
    await Promise.resolve().then(async () => { await host.stop() }).catch(() => {})
    throw portError(err, 'libp2p') ?? err
  }
  undo.push({ what: 'libp2p', run: async () => { await host.stop() } })
  await handleRtt(host)
  log('libp2p started as %p on %a', host.peerId, host.getMultiaddrs())
}

/** Starts every component that has `start()`, in list order; each one's `stop()` goes on the undo stack. */
export async function startComponents (built: NodeComponents, entries: readonly ComponentEntry[], undo: UndoStack): Promise<void> {
  for (const entry of entries) {
    const part = (built as any)[entry.name] as Partial<Startable> | undefined
    if (typeof part?.start === 'function') {
      await part.start()
      undo.push({ what: entry.name, run: async () => { await part.stop?.() } })
    }
  }
}

/** The HTTP API, listening, with its URL in the home's `api` file; answers the URL. */
export async function serveApi (built: NodeComponents, routes: ReadonlyArray<ApiRoute<NodeComponents>>, undo: UndoStack, warn: (message: string) => void): Promise<string> {
  const { config, home } = built
  const api = await createApiServer<NodeComponents>(built, { private: config.private, bodyLimit: config.api.bodyLimit, corsOrigins: config.api.corsOrigins, metrics: { metrics: built.metrics, access: config.api.metrics }, routes, onWarning: warn })
  undo.push({ what: 'HTTP API', run: async () => { await api.close() } })
  try {
    await api.listen({ host: config.api.host, port: config.api.port })
  } catch (err) {
    throw portError(err, 'HTTP API', config.api.host, config.api.port) ?? err
  }
  const url = apiUrl(api)
  await writeFile(homePath(home, 'api'), url + '\n')
  undo.push({ what: 'api file', run: async () => { await unlink(homePath(home, 'api')).catch(() => {}) } })
  return url
}

/** What runs on in the background until the node stops: the bootstrap check and the join lookups. */
export function startBackground (built: NodeComponents, bootstrap: string[], warn: (message: string) => void, log: Logger): void {
  const { host, shutdownSignal: signal } = built
  void checkBootstrap(host, bootstrap, warn, signal)
  void runJoiner(host, {
    enough: JOIN_ENOUGH_PEERS,
    interval: JOIN_INTERVAL,
    maxInterval: JOIN_MAX_INTERVAL,
    idleInterval: JOIN_IDLE_INTERVAL,
    timeout: JOIN_LOOKUP_TIMEOUT,
    signal,
    log: built.logger.forComponent('paip:node:join')
  }).catch(err => { log.error('join lookups failed: %e', err) })
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
