import * as C from './constants.js'
import { JobNotFoundError } from './errors.js'
import { localError, mapRemote } from './remote-errors.js'
import type { Dispatcher } from './dispatch.js'
import type { LocalJobs } from './local.js'
import type { Job, JobOutput, JobState, Submitter } from './types.js'
import type { JobsClient } from './wire.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * A job's status, logs, outputs and cancellation, wherever it runs: this node's own jobs from
 * `local`, the others from the node that runs them (found by the dispatcher) over the wire.
 */

export interface LocatedJobsInit {
  self: string
  local: LocalJobs
  dispatcher: Dispatcher
  /** The wire client (none on a node without a network: only local jobs are found). */
  client?: JobsClient
  blobs: BlobStore
  offerTimeout: number
}

export interface ListOptions extends AbortOptions {
  state?: JobState
  limit?: number
}

export interface LogOptions extends AbortOptions {
  follow?: boolean
  offset?: number
}

export interface LocatedJobs {
  status: (id: string, options?: AbortOptions) => Promise<Job>
  /** This node's jobs and the jobs it sent elsewhere (their latest status), newest first. */
  list: (options?: ListOptions) => Promise<Job[]>
  cancel: (id: string, by?: Submitter, options?: AbortOptions) => Promise<Job>
  logs: (id: string, options?: LogOptions) => AsyncGenerator<Uint8Array>
  results: (id: string, options?: AbortOptions) => Promise<JobOutput[]>
  /** The bytes of one output of a job (the CID must be one of its outputs). */
  output: (id: string, cid: string, options?: AbortOptions) => AsyncGenerator<Uint8Array>
}

export function createLocatedJobs (init: LocatedJobsInit): LocatedJobs {
  const { self, local, dispatcher, client } = init

  /** The network client for a job that runs on another node. */
  function remote (id: string): JobsClient {
    if (client == null) throw new JobNotFoundError(id)
    return client
  }

  async function localJob (id: string): Promise<Job> {
    const job = await local.get(id)
    if (job == null) throw new JobNotFoundError(id)
    return job
  }

  async function status (id: string, options?: AbortOptions): Promise<Job> {
    const peer = await dispatcher.locate(id, options)
    if (peer === self) return await localJob(id)
    return await mapRemote(remote(id).status(peer, id, options))
  }

  /** The latest status of the newest jobs sent elsewhere (none from a peer that does not answer in time). */
  async function sentJobs (limit: number, state: JobState | undefined): Promise<Job[]> {
    if (client == null) return []
    const sent = await dispatcher.sent(Math.min(limit, C.REMOTE_LIST_LIMIT))
    const found = await Promise.all(sent.map(async ({ id, peer }) => {
      try {
        return await client.status(peer, id, { signal: AbortSignal.timeout(init.offerTimeout) })
      } catch {
        return undefined
      }
    }))
    return found.filter((j): j is Job => j != null && (state == null || j.state === state))
  }

  return {
    status,
    async list (options = {}) {
      const limit = Math.min(options.limit ?? C.LIST_LIMIT, C.LIST_LIMIT)
      const mine = await local.list({ state: options.state, limit })
      if (client == null) return mine
      const all = [...mine, ...await sentJobs(limit, options.state)]
      return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit)
    },
    async cancel (id, by, options) {
      const peer = await dispatcher.locate(id, options)
      if (peer === self) return await local.cancel(id, by?.user ?? by?.peer ?? self)
      return await mapRemote(remote(id).cancel(peer, id, by?.user, options))
    },
    async * logs (id, options = {}) {
      const peer = await dispatcher.locate(id, options)
      if (peer === self) {
        yield * local.logs(id, options)
        return
      }
      try {
        yield * remote(id).logs(peer, id, options)
      } catch (err) {
        throw localError(err)
      }
    },
    async results (id, options) {
      return (await status(id, options)).outputs
    },
    async * output (id, cid, options) {
      const peer = await dispatcher.locate(id, options)
      if (peer === self) {
        const job = await localJob(id)
        if (!job.outputs.some(o => o.cid === cid)) throw new JobNotFoundError(`${id} output ${cid}`)
        yield * init.blobs.get(cid, options)
        return
      }
      yield * remote(id).output(peer, id, cid, options)
    }
  }
}
