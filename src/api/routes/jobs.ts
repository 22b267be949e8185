import { Readable } from 'node:stream'
import { PaipError } from '../../errors.js'
import { JobNotFoundError } from '../../jobs/errors.js'
import { ADMIN_NAME, isAdmin, requireOwner } from '../../users/roles.js'
import { requestSignal } from '../signal.js'
import { second } from '../../time.js'
import type { Principal } from '../auth.js'
import type { ApiDeps, ApiRoute } from '../route.js'
import type { Evaluations } from '../../jobs/eval/index.js'
import type { Job, Jobs } from '../../jobs/index.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Jobs and evaluations over HTTP (`/api/v1/jobs`, `/api/v1/evals`). Every route needs a valid
 * token; a user token sees and controls only the jobs that user submitted through this node,
 * the admin token sees every job of this node.
 */

/** The node runs no evaluations (a jobs-only setup). */
class EvaluationsUnavailableError extends PaipError {
  static name = 'JobsUnavailableError'
  name = 'JobsUnavailableError'
  constructor () { super('this node does not run the jobs component', 'unavailable') }
}

const stringMap = { type: 'object', additionalProperties: { type: 'string', maxLength: 65536 }, maxProperties: 256 } as const

const runBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 128 },
    protocol: { type: 'string', minLength: 1, maxLength: 1024 * 1024 },
    protocolRef: { type: 'string', minLength: 1, maxLength: 1024 },
    parameters: stringMap,
    secrets: stringMap,
    dataset: { type: 'string', minLength: 1, maxLength: 1024 },
    model: { type: 'string', minLength: 1, maxLength: 1024 },
    node: { type: 'string', minLength: 1, maxLength: 256 },
    timeLimit: { type: 'integer', minimum: 1 }
  },
  anyOf: [{ required: ['protocol'] }, { required: ['protocolRef'] }]
} as const

const evalBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 1024 },
    dataset: { type: 'string', minLength: 1, maxLength: 1024 },
    criteria: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 64 },
    protocol: { type: 'string', minLength: 1, maxLength: 1024 * 1024 }
  },
  required: ['model', 'dataset']
} as const

/** What the job routes use; a node without evaluations answers their routes with 503. */
export interface JobRouteComponents {
  jobs: Jobs
  evaluations?: Evaluations
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

/** Deadline of a jobs or evaluations request (the job itself runs on after it). */
const REQUEST_TIMEOUT = 30 * second
/** Deadline of ordering an evaluation (it looks for the model and dataset first). */
const ORDER_TIMEOUT = 60 * second

function userOf (principal: Principal | undefined): string | undefined {
  return principal?.name
}

/**
 * Who owns a job on this node: its submitter's user name when it came through this node, or
 * `user@peer` when another node sent it (that node names its user unverified: only the peer is
 * authenticated, so a remote user never acts as a local one of the same name).
 */
export function jobOwner (job: Job, self: string): string {
  const user = job.submitter.user ?? ADMIN_NAME
  return job.submitter.peer === self ? user : `${user}@${job.submitter.peer}`
}

function mayUse (job: Job, principal: Principal | undefined, self: string): boolean {
  if (isAdmin(principal)) return true
  return principal != null && jobOwner(job, self) === principal.name
}

/** A job as the API answers it: with its owner. */
function jobJson (job: Job, self: string): Job & { owner: string } {
  return { ...job, owner: jobOwner(job, self) }
}

/** A request's signal (requestSignal's rule) with the jobs routes' deadline: 30 s, or `timeout`. */
function signalOf (request: FastifyRequest, reply: FastifyReply, components: Pick<JobRouteComponents, 'shutdownSignal'>, timeout = REQUEST_TIMEOUT): AbortSignal {
  return requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout })
}

export const jobsRoutes: ApiRoute<JobRouteComponents> = (app, deps) => {
  jobRoutes(app, deps)
  evalRoutes(app, deps)
}

/** Jobs: run, list, status, cancel, results, outputs and logs (a user's own jobs; the admin, all). */
function jobRoutes (app: FastifyInstance, { components, access }: ApiDeps<JobRouteComponents>): void {
  const jobs = (): Jobs => components.jobs
  const guard = { onRequest: access.requireWrite }

  /** The job, when the request's user submitted it (or is the admin): 403 naming its owner otherwise. */
  async function ownJob (request: FastifyRequest, id: string, signal: AbortSignal, action: string): Promise<Job> {
    const job = await jobs().status(id, { signal })
    if (request.principal == null) throw new JobNotFoundError(id)
    requireOwner(request.principal, jobOwner(job, jobs().self), `job ${id}`, action)
    return job
  }

  app.post('/api/v1/jobs', { onRequest: access.requireRole('run', 'run jobs on this node'), schema: { body: runBody } }, async (request, reply) => {
    const body = request.body as any
    const result = await jobs().run({ protocol: '', ...body, user: userOf(request.principal) }, { signal: signalOf(request, reply, components) })
    void reply.status(result.duplicate ? 200 : 202)
    return { ...result, job: jobJson(result.job, jobs().self) }
  })

  app.get('/api/v1/jobs', guard, async (request, reply) => {
    const query = request.query as { state?: any, limit?: string }
    const limit = query.limit == null ? undefined : Number(query.limit)
    const all = await jobs().list({ state: query.state, limit, signal: signalOf(request, reply, components) })
    return { jobs: all.filter(job => mayUse(job, request.principal, jobs().self)).map(job => jobJson(job, jobs().self)) }
  })

  app.get('/api/v1/jobs/:id', guard, async (request, reply) => {
    const { id } = request.params as { id: string }
    return { job: jobJson(await ownJob(request, id, signalOf(request, reply, components), 'see'), jobs().self) }
  })

  app.post('/api/v1/jobs/:id/cancel', guard, async (request, reply) => {
    const { id } = request.params as { id: string }
    await ownJob(request, id, signalOf(request, reply, components), 'cancel')
    const user = userOf(request.principal)
    return { job: jobJson(await jobs().cancel(id, { peer: jobs().self, ...(user == null ? {} : { user }) }, { signal: signalOf(request, reply, components) }), jobs().self) }
  })

  app.get('/api/v1/jobs/:id/results', guard, async (request, reply) => {
    const { id } = request.params as { id: string }
    const job = await ownJob(request, id, signalOf(request, reply, components), 'read the results of')
    return { id, state: job.state, node: job.node, owner: jobOwner(job, jobs().self), outputs: job.outputs }
  })

  app.get('/api/v1/jobs/:id/outputs/:cid', guard, async (request, reply) => {
    const { id, cid } = request.params as { id: string, cid: string }
    const job = await ownJob(request, id, signalOf(request, reply, components), 'read the results of')
    const output = job.outputs.find(o => o.cid === cid)
    if (output == null) throw new JobNotFoundError(`${id} output ${cid}`)
    const controller = new AbortController()
    request.raw.once('close', () => { controller.abort() })
    const source = jobs().output(id, cid, { signal: controller.signal })
    const first = await source.next() // errors before any byte become a proper answer
    void reply.header('content-type', 'application/octet-stream').header('content-length', output.size)
    return await reply.send(Readable.from((async function * () {
      if (first.done !== true) yield first.value
      yield * source
    })()))
  })

  app.get('/api/v1/jobs/:id/logs', guard, async (request, reply) => {
    const { id } = request.params as { id: string }
    const query = request.query as { follow?: string, offset?: string }
    await ownJob(request, id, signalOf(request, reply, components), 'read the logs of')
    const controller = new AbortController()
    request.raw.once('close', () => { controller.abort() })
    reply.raw.once('close', () => { controller.abort() })
    const follow = query.follow === 'true' || query.follow === '1'
    const offset = query.offset == null ? undefined : Number(query.offset)
    const source = jobs().logs(id, { follow, offset, signal: controller.signal })
    void reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache')
    return await reply.send(Readable.from((async function * () {
      try {
        for await (const chunk of source) yield Buffer.from(chunk)
      } catch (err) {
        if (!controller.signal.aborted) throw err
      }
    })()))
  })

}

/** Evaluations: order, list, remove and read (503 on a node without evaluations). */
function evalRoutes (app: FastifyInstance, { components, access }: ApiDeps<JobRouteComponents>): void {
  const jobs = (): Jobs => components.jobs
  const evaluations = (): Evaluations => {
    if (components.evaluations == null) throw new EvaluationsUnavailableError()
    return components.evaluations
  }

  app.post('/api/v1/evals', { onRequest: access.requireRole('run', 'order evaluations on this node'), schema: { body: evalBody } }, async (request, reply) => {
    const body = request.body as { model: string, dataset: string, criteria?: string[], protocol?: string }
    const result = await evaluations().order({ ...body, user: userOf(request.principal) }, { signal: signalOf(request, reply, components, ORDER_TIMEOUT) })
    void reply.status(result.cached ? 200 : 202)
    return result.job == null ? result : { ...result, job: jobJson(result.job, jobs().self), owner: jobOwner(result.job, jobs().self) }
  })

  app.get('/api/v1/evals', { onRequest: access.readAccess }, async (request, reply) => {
    return { evals: await evaluations().list({ signal: signalOf(request, reply, components) }) }
  })

  app.delete('/api/v1/evals/:key', { onRequest: access.requireRole('run', 'remove evaluations on this node') }, async (request, reply) => {
    const { key } = request.params as { key: string }
    const listed = (await evaluations().list({ signal: signalOf(request, reply, components) })).find(e => e.key === key)
    if (request.principal != null) requireOwner(request.principal, listed?.user ?? ADMIN_NAME, `evaluation ${key}`, 'remove')
    return await evaluations().remove(key, { signal: signalOf(request, reply, components) })
  })

  app.get('/api/v1/evals/:key', { onRequest: access.readAccess }, async (request, reply) => {
    const { key } = request.params as { key: string }
    return await evaluations().result(key, { signal: signalOf(request, reply, components) })
  })
}
