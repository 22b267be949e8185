import { randomUUID } from 'node:crypto'
import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import * as C from './constants.js'
import { JobNotFoundError, NoCandidateError } from './errors.js'
import { localError, mapRemote } from './remote-errors.js'
import { localOffer } from './wire.js'
import type { LocalJobs } from './local.js'
import type { JobsDb } from './store.js'
import type { ContentResolver, Job, JobSubmission } from './types.js'
import type { JobsClient, Offer } from './wire.js'
import type { Routing } from '../net/routing.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** What `paip run` asks for. */
export interface RunRequest extends Omit<JobSubmission, 'id'> {
  /** Chosen by the client so a retry never runs it twice (default: a random UUID). */
  id?: string
  /** Run on this peer instead of choosing. */
  node?: string
  /** The local user ordering it. */
  user?: string
  /** A published protocol to load when `protocol` is empty (needs a ProtocolSource). */
  protocolRef?: string
}

export interface Dispatched {
  job: Job
  /** The peer that runs it. */
  node: string
  /** Why that node, for people. */
  reason: string
  duplicate: boolean
  /** The offers the choice was made from. */
  offers: Offer[]
}

export interface DispatcherInit {
  self: string
  local: LocalJobs
  client?: JobsClient
  /** Announces the jobs this node runs and finds who runs one. */
  routing?: Routing
  db: JobsDb
  datasets: ContentResolver
  models?: ContentResolver
  log: Logger
  offerTimeout: number
}

/** The CID nodes provide for a job they run, so any node can find where it runs (`paip-job:<id>`). */
export function jobCid (id: string): CID {
  return dhtKey(KEY_NAMESPACES.job, id)
}

export interface Dispatcher {
  dispatch: (req: RunRequest, options?: AbortOptions & { choose?: (offers: Offer[]) => Offer | undefined }) => Promise<Dispatched>
  /** Asks every holder of the dataset (and this node) for an offer. */
  offers: (dataset: string | undefined, model: string | undefined, options?: AbortOptions) => Promise<Offer[]>
  /** The peer that runs a job: this node, the one it was sent to, or a provider of its key. */
  locate: (id: string, options?: AbortOptions) => Promise<string>
  /** Announces that this node runs a job (in the background). */
  announce: (id: string) => void
  /** IDs and peers of jobs this node sent elsewhere, newest first. */
  sent: (limit: number) => Promise<Array<{ id: string, peer: string }>>
}

/** Refusals after which dispatch tries the next candidate. */
const RETRY_ELSEWHERE = new Set(['JobNotAllowedError', 'DatasetNotHeldError', 'PeerUnavailableError', 'JobsStoppedError'])

function rank (a: Offer & { ms: number }, b: Offer & { ms: number }): number {
  return (b.free - a.free) || (a.queued - b.queued) || (a.ms - b.ms)
}

export function createDispatcher (init: DispatcherInit): Dispatcher {
  const sentDb = init.db.sublevel<string, { peer: string, at: number }>('sent', { valueEncoding: 'json' })

  async function offers (dataset: string | undefined, model: string | undefined, options: AbortOptions = {}): Promise<Array<Offer & { ms: number }>> {
    const holders = new Set(dataset == null ? [] : await init.datasets.findHolders?.(dataset, options) ?? [])
    holders.delete(init.self)
    const started = Date.now()
    const signal = AbortSignal.any([AbortSignal.timeout(init.offerTimeout), ...(options.signal == null ? [] : [options.signal])])
    const answers = await Promise.allSettled([
      localOffer({ ...init }, dataset, model, options).then(o => ({ ...o, ms: 0 })),
      ...[...holders].map(async peer => {
        if (init.client == null) throw new Error('no network')
        const offer = await init.client.offer(peer, dataset, model, { signal })
        return { ...offer, ms: Date.now() - started }
      })
    ])
    const out: Array<Offer & { ms: number }> = []
    for (const a of answers) {
      if (a.status === 'fulfilled') out.push(a.value)
      else init.log('offer failed: %s', a.reason?.message)
    }
    return out
  }

  function announce (id: string): void {
    init.routing?.announceLater([jobCid(id)])
  }

  async function submitTo (peer: string, submission: JobSubmission, user: string | undefined, options: AbortOptions): Promise<{ job: Job, duplicate: boolean }> {
    if (peer === init.self) {
      const accepted = await init.local.accept(submission, { peer: init.self, ...(user == null ? {} : { user }) }, options)
      if (!accepted.duplicate) announce(submission.id)
      return accepted
    }
    if (init.client == null) throw new NoCandidateError('this node has no network to send jobs with')
    // remember where it goes before sending: a lost answer still leaves the job findable
    await sentDb.put(submission.id, { peer, at: Date.now() })
    try {
      return await mapRemote(init.client.submit(peer, submission, user, options))
    } catch (err: any) {
      // refused for sure (not a lost answer): the job is not there
      if (err?.name !== 'PeerUnavailableError' && err?.kind !== 'timeout') await sentDb.del(submission.id).catch(() => {})
      throw err
    }
  }

  return {
    offers,
    announce,
    async dispatch (req, options = {}) {
      const { node, user, id, ...rest } = req
      const submission: JobSubmission = { ...rest, id: id ?? randomUUID() }
      if (node != null) {
        const answer = await submitTo(node, submission, user, options)
        return { ...answer, node, reason: node === init.self ? 'this node (asked for)' : `${node} (asked for with --node)`, offers: [] }
      }
      if (req.dataset == null) {
        const answer = await submitTo(init.self, submission, user, options)
        return { ...answer, node: init.self, reason: 'this node: the job names no dataset', offers: [] }
      }
      const all = await offers(req.dataset, req.model, options)
      const holding = all.filter(o => o.holds).sort(rank)
      if (holding.length === 0) {
        throw new NoCandidateError(`no node holding ${req.dataset}${req.model == null ? '' : ` and ${req.model}`} answered (${all.length} asked)`, { dataset: req.dataset, asked: all.map(o => o.peer) })
      }
      const first = options.choose?.(holding) ?? holding[0]
      const order = [first, ...holding.filter(o => o !== first)]
      let failure: unknown
      for (const chosen of order) {
        try {
          const answer = await submitTo(chosen.peer, submission, user, options)
          const why = `holds ${req.dataset}; ${chosen.free} of ${chosen.slots} slots free, ${chosen.queued} queued` +
            (holding.length > 1 ? `; best of ${holding.length} candidates` : '; the only candidate') +
            (chosen.peer === init.self ? ' (this node)' : '') +
            (chosen === first ? '' : `; ${first.peer} refused it`)
          return { ...answer, node: chosen.peer, reason: why, offers: all }
        } catch (err: any) {
          // another holder may accept what this one refused (not allowed, no longer holds it, gone)
          if (!RETRY_ELSEWHERE.has(err?.name) || options.choose != null) throw err
          init.log('%s refused job %s: %s', chosen.peer, submission.id, err?.message)
          failure ??= err
        }
      }
      throw failure
    },
    async locate (id, options = {}) {
      if (await init.local.get(id) != null) return init.self
      const sent = await sentDb.get(id)
      if (sent != null) return sent.peer
      if (init.routing != null && init.client != null) {
        const signal = AbortSignal.any([AbortSignal.timeout(C.EVAL_LOOKUP_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
        for await (const provider of init.routing.providers(jobCid(id), { signal, timeout: C.EVAL_LOOKUP_TIMEOUT })) {
          const peer = provider.toString()
          try {
            await init.client.status(peer, id, { signal })
            return peer
          } catch (err) { init.log('%s does not show job %s: %s', peer, id, (localError(err) as Error).message) }
        }
      }
      throw new JobNotFoundError(id)
    },
    async sent (limit) {
      const out: Array<{ id: string, peer: string, at: number }> = []
      for await (const [id, v] of sentDb.iterator()) out.push({ id, ...v })
      return out.sort((a, b) => b.at - a.at).slice(0, limit).map(({ id, peer }) => ({ id, peer }))
    }
  }
}
