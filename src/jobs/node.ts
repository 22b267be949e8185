import path from 'node:path'
import { catalogResolver } from './catalog-adapter.js'
import { createEvaluations } from './eval/index.js'
import { createJobs } from './index.js'
import type { EvalRecord, Evaluations } from './eval/index.js'
import type { Jobs, JobsDb, JobsInit, ProtocolSource, UserRoles } from './index.js'
import type { Catalog } from '../catalog/index.js'
import type { RecordNamespace } from '../net/records.js'
import type { BlobStore } from '../storage/blobs.js'
import type { ComponentLogger, Libp2p, PrivateKey, Startable } from '@libp2p/interface'

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

export function createNodeJobs (c: NodeJobsComponents, init: Partial<JobsInit> & { records?: RecordNamespace<EvalRecord> } = {}): NodeJobs {
  const dir = init.dir ?? path.join(c.home, 'jobs')
  const { records, ...jobsInit } = init
  const jobs = createJobs({
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
