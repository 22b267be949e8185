import path from 'node:path'
import { createAlgorithms } from '../algorithms/index.js'
import { createCatalog } from '../catalog/index.js'
import { isHttpUrl } from '../catalog/entries.js'
import { InvalidArgumentError } from '../errors.js'
import { createDataSpace } from '../data/index.js'
import { createFed } from '../fed/index.js'
import { createEvaluations, evalRecords } from '../jobs/eval/index.js'
import { catalogContent, createJobs, marketplaceProtocols } from '../jobs/index.js'
import { createMarketplace } from '../marketplace/index.js'
import { protocolRecords } from '../marketplace/record.js'
import { dhtRecordOptions, persistentHighWater } from '../net/records.js'
import { createRouting } from '../net/routing.js'
import { createUsers } from '../users/index.js'
import { sublevel } from './database.js'
import { component } from './components.js'
import type { ComponentEntry, NodeComponents, RecordNamespaces } from './components.js'
import type { ProtocolRecordValue } from '../marketplace/record.js'
import type { AttachableHighWater, RecordNamespace } from '../net/records.js'
import type { Role } from '../users/index.js'

/**
 * The components a node runs, built in this order after libp2p is created and stopped in
 * reverse. A function, not a constant: each node (several run in one process in tests) gets
 * its own record namespaces and replay marks. ADD A COMPONENT: one entry here (and its field
 * in `NodeComponents`).
 */
export function defaultComponents (): ComponentEntry[] {
  const evalHighWater = persistentHighWater()
  const evalNamespace = evalRecords({ highWater: evalHighWater })
  return [
    // the one announce-and-discover service every component below makes itself findable with
    component({
      name: 'routing',
      create: c => createRouting({ host: c.host, logger: c.logger, db: sublevel(c.db, 'routing') })
    }),
    component({
      name: 'catalog',
      create: c => createCatalog({
        db: sublevel(c.db, 'catalog'),
        blobs: c.blobs,
        host: c.host,
        routing: c.routing,
        logger: c.logger,
        // blobs are shared by content: what a data space or an algorithm holds is never deleted with a catalog entry
        blobInUse: async cid => {
          const built = c as Partial<NodeComponents>
          return await built.data?.usesBlob(cid) === true || await built.algorithms?.usesBlob(cid) === true
        }
      }, { apiUrl: publicApiUrl(c.config.api.publicUrl) })
    }),
    component({
      name: 'data',
      create: c => createDataSpace({ db: sublevel(c.db, 'data'), blobs: c.blobs, logger: c.logger })
    }),
    ...marketplaceEntries(),
    component({
      name: 'jobs',
      records: dhtRecordOptions(evalNamespace),
      create: c => {
        evalHighWater.attach(sublevel(c.db, 'eval-seq'))
        const dir = path.join(c.home, 'jobs')
        return createJobs({
          db: sublevel(c.db, 'jobs') as any,
          host: c.host,
          routing: c.routing,
          blobs: c.blobs,
          logger: c.logger,
          // an algorithm call's code, data and payload are asked for first (the algorithms component is built next)
          ...catalogContent(c.catalog, path.join(dir, 'views'), { resolve: async (ref, options) => await (c as Partial<NodeComponents>).algorithms?.content.resolve(ref, options) }),
          // running jobs needs the `run` role (the admin holds every role)
          users: { hasRole: async (user, role) => await c.users.hasRole(user, role as Role) },
          protocols: marketplaceProtocols(c.marketplace)
        }, {
          dir,
          slots: c.config.jobs.slots,
          timeLimit: c.config.jobs.timeLimit,
          maxLogBytes: c.config.jobs.maxLogBytes,
          maxOutputBytes: c.config.jobs.maxOutputBytes,
          allow: { peers: c.config.jobs.allowPeers, ...(c.config.jobs.allowUsers.length > 0 ? { users: c.config.jobs.allowUsers } : {}) },
          runtime: c.config.jobs.runtime,
          network: c.config.jobs.network,
          maxMemoryMB: c.config.jobs.maxMemoryMB,
          maxPids: c.config.jobs.maxPids,
          gpus: c.config.jobs.gpus,
          bwrap: c.config.jobs.sandbox.bwrap,
          engine: c.config.jobs.container.engine,
          // only these reach a job's commands from the node's own environment
          env: { PATH: process.env.PATH, LANG: process.env.LANG, TZ: process.env.TZ }
        })
      }
    }),
    component({
      name: 'algorithms',
      create: c => createAlgorithms({ db: sublevel(c.db, 'algorithms'), blobs: c.blobs, data: c.data, jobs: c.jobs, host: c.host, routing: c.routing, logger: c.logger }, {
        dir: path.join(c.home, 'algorithms'),
        allowPeers: c.config.algorithms.allowPeers
      })
    }),
    component({
      name: 'evaluations',
      create: c => createEvaluations({ jobs: c.jobs, host: c.host, routing: c.routing, privateKey: c.privateKey, blobs: c.blobs, logger: c.logger }, { records: evalNamespace })
    }),
    component({
      name: 'fed',
      create: c => createFed({
        db: sublevel(c.db, 'fed') as any,
        jobs: c.jobs,
        catalog: c.catalog,
        blobs: c.blobs,
        host: c.host,
        routing: c.routing,
        privateKey: c.privateKey,
        logger: c.logger,
        // coordinating a run needs the `run` role, as running a job does
        users: { hasRole: async (user, role) => await c.users.hasRole(user, role as Role) }
      }, {
        dir: path.join(c.home, 'fed'),
        allow: { peers: c.config.fed.allowPeers },
        roundTimeout: c.config.fed.roundTimeout
      })
    })
  ]
}

/**
 * The users entry (sublevel `users`, its tokens accepted by the node's authenticator) and the
 * marketplace entry (sublevel `marketplace`, its record namespace registered on the DHT).
 * One record namespace is shared by the DHT validator and the marketplace, so both see the
 * same highest sequence numbers. Tests run a node with only these two.
 */
export function marketplaceEntries (highWater: AttachableHighWater = persistentHighWater(), records: RecordNamespace<ProtocolRecordValue> = protocolRecords({ highWater })): ComponentEntry[] {
  return [
    component({
      name: 'users',
      create: c => createUsers({ db: sublevel(c.db, 'users'), logger: c.logger, authenticator: c.authenticator })
    }),
    component({
      name: 'marketplace',
      records: dhtRecordOptions(records),
      create: c => {
        // replay protection outlives restarts: the highest seq seen per key, in the node's database
        highWater.attach(sublevel(c.db, 'record-seq'))
        return createMarketplace({
          host: c.host, routing: c.routing, privateKey: c.privateKey, db: sublevel(c.db, 'marketplace') as any, logger: c.logger, shutdownSignal: c.shutdownSignal
        }, { records })
      }
    })
  ]
}

/** DHT record namespaces every node registers besides the components' own (none yet). */
export const CORE_RECORDS: RecordNamespaces[] = []

/** `api.publicUrl` checked: empty (none), or an http(s) URL without credentials. */
function publicApiUrl (text: string): string | undefined {
  if (text === '') return undefined
  if (!isHttpUrl(text)) throw new InvalidArgumentError(`api.publicUrl must be an http(s) URL (without user or password), not ${JSON.stringify(text.slice(0, 100))}`)
  return text.replace(/\/+$/, '')
}
