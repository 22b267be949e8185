import path from 'node:path'
import { catalogResolver } from './catalog-adapter.js'
import { createEvaluations } from './eval/index.js'
import { createJobs } from './index.js'
import type { EvalRecord, Evaluations } from './eval/index.js'
import type { ContentResolver, Jobs, JobsDb, JobsInit, ProtocolSource, UserRoles } from './index.js'
import type { Catalog } from '../catalog/index.js'
import type { RecordNamespace } from '../net/records.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, PrivateKey } from '@libp2p/interface'

/** What the node gives the jobs component (fields as in its NodeComponents). */
export interface NodeJobsComponents {
  /** The node home: jobs live in `<home>/jobs`. */
  home: string
  /** A sublevel of the node database for jobs (e.g. `sublevel(db, 'jobs')`). */
  db: JobsDb
  host: Libp2p<any>
  /** The node's announce-and-discover service. */
  routing?: Routing
  privateKey: PrivateKey
  blobs: BlobStore
  catalog: Catalog
  logger: ComponentLogger
  users?: UserRoles
  protocols?: ProtocolSource
  /** Other content a job may be given as its model (e.g. an algorithm call's directory), asked before the catalog. */
  content?: ContentResolver
}

/** Asks `first` (when given), then `then`. */
function firstOf (first: ContentResolver | undefined, then: ContentResolver): ContentResolver {
  if (first == null) return then
  return {
    ...then,
    async resolve (ref, options) { return await first.resolve(ref, options) ?? await then.resolve(ref, options) }
  }
}

/** Whether a blob is part of a catalog entry (its manifest or one of its files). */
function catalogBlobs (catalog: Catalog): (cid: string) => Promise<boolean> {
  let held: { at: number, cids: Promise<Set<string>> } | undefined
  async function collect (): Promise<Set<string>> {
    const cids = new Set<string>()
    for (const kind of ['dataset', 'model'] as const) {
      for (const entry of await catalog.list(kind)) {
        cids.add(entry.manifest)
        for (const file of (await catalog.resolve(kind, entry.manifest)).files) cids.add(file.cid)
      }
    }
    return cids
  }
  return async cid => {
    // one deletion asks about many blobs at once: look the catalog through once for them all
    if (held == null || Date.now() - held.at > 10_000) held = { at: Date.now(), cids: collect() }
    return (await held.cids).has(cid)
  }
}

/**
 * The node's jobs component: jobs over the catalog's datasets and models (with a view
 * directory of their files under `<home>/jobs/views`); deleting a catalog entry stops its jobs
 * and evaluations and removes their outputs.
 */
export function createNodeJobs (c: NodeJobsComponents, init: Partial<JobsInit> = {}): Jobs {
  const dir = init.dir ?? path.join(c.home, 'jobs')
  const jobs = createJobs({
    blobInUse: catalogBlobs(c.catalog),
    db: c.db,
    blobs: c.blobs,
    datasets: catalogResolver(c.catalog, 'dataset', path.join(dir, 'views')),
    models: firstOf(c.content, catalogResolver(c.catalog, 'model', path.join(dir, 'views'))),
    libp2p: c.host,
    ...(c.routing == null ? {} : { routing: c.routing }),
    logger: c.logger,
    ...(c.users == null ? {} : { users: c.users }),
    ...(c.protocols == null ? {} : { protocols: c.protocols })
  }, { ...init, dir })
  let unsubscribe: (() => void) | undefined
  return {
    ...jobs,
    async start () {
      await jobs.start()
      unsubscribe = c.catalog.onRemove(async entry => { await jobs.contentDeleted(entry.manifest) })
    },
    async stop () {
      unsubscribe?.()
      await jobs.stop()
    }
  }
}

export interface NodeEvaluationsComponents {
  jobs: Jobs
  host: Libp2p<any>
  routing?: Routing
  privateKey: PrivateKey
  blobs: BlobStore
  logger: ComponentLogger
}

/** The node's evaluations component; `records` is the namespace registered with its DHT. */
export function createNodeEvaluations (c: NodeEvaluationsComponents, records?: RecordNamespace<EvalRecord>): Evaluations {
  return createEvaluations({ jobs: c.jobs, libp2p: c.host, ...(c.routing == null ? {} : { routing: c.routing }), privateKey: c.privateKey, blobs: c.blobs, logger: c.logger }, records == null ? {} : { records })
}

/** What `marketplaceProtocols` needs of the marketplace (its `pull`). */
export interface ProtocolPuller {
  pull: (ref: string, options?: AbortOptions) => Promise<{ selected: { contentBytes: Uint8Array } }>
}

/** `paip run <ref>`: loads the latest version of a published protocol through the marketplace. */
export function marketplaceProtocols (marketplace: ProtocolPuller): ProtocolSource {
  return {
    async load (ref, options) {
      const pulled = await marketplace.pull(ref, options)
      return new TextDecoder('utf-8', { fatal: true }).decode(pulled.selected.contentBytes)
    }
  }
}
