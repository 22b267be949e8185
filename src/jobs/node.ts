import path from 'node:path'
import { catalogResolver } from './catalog-adapter.js'
import { createEvaluations } from './eval/index.js'
import { createJobs } from './index.js'
import type { EvalRecord, Evaluations } from './eval/index.js'
import type { Jobs, JobsDb, JobsInit, ProtocolSource, UserRoles } from './index.js'
import type { Catalog } from '../catalog/index.js'
import type { RecordNamespace } from '../net/records.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions, ComponentLogger, Libp2p, PrivateKey, Startable } from '@libp2p/interface'

/**
 * Everything the node needs to run jobs and evaluations, built from its parts: the jobs
 * component over the catalog (datasets and models, with a view directory of their files) and
 * the evaluations component on top. The node registers `records` (the evaluation record
 * namespace) with its DHT when it creates libp2p, and starts/stops what this returns.
 */
export interface NodeJobsComponents {
  /** The node home: jobs live in `<home>/jobs`. */
  home: string
  /** A sublevel of the node database for jobs (e.g. `sublevel(db, 'jobs')`). */
  db: JobsDb
  host: Libp2p<any>
  privateKey: PrivateKey
  blobs: BlobStore
  catalog: Catalog
  logger: ComponentLogger
  users?: UserRoles
  protocols?: ProtocolSource
}

export interface NodeJobs extends Startable {
  jobs: Jobs
  evaluations: Evaluations
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

export function createNodeJobs (c: NodeJobsComponents, init: Partial<JobsInit> & { records?: RecordNamespace<EvalRecord> } = {}): NodeJobs {
  const dir = init.dir ?? path.join(c.home, 'jobs')
  const { records, ...jobsInit } = init
  const jobs = createJobs({
    blobInUse: catalogBlobs(c.catalog),
    db: c.db,
    blobs: c.blobs,
    datasets: catalogResolver(c.catalog, 'dataset', path.join(dir, 'views')),
    models: catalogResolver(c.catalog, 'model', path.join(dir, 'views')),
    libp2p: c.host,
    logger: c.logger,
    ...(c.users == null ? {} : { users: c.users }),
    ...(c.protocols == null ? {} : { protocols: c.protocols })
  }, { ...jobsInit, dir })
  const evaluations = createEvaluations({ jobs, libp2p: c.host, privateKey: c.privateKey, blobs: c.blobs, logger: c.logger }, { ...(records == null ? {} : { records }) })
  let unsubscribe: (() => void) | undefined
  return {
    jobs,
    evaluations,
    async start () {
      await jobs.start()
      await evaluations.start()
      // deleting a dataset or model stops its jobs and evaluations and removes their outputs
      unsubscribe = c.catalog.onRemove(async entry => { await jobs.contentDeleted(entry.manifest) })
    },
    async stop () {
      unsubscribe?.()
      await evaluations.stop()
      await jobs.stop()
    }
  }
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
