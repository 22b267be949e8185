import { randomUUID } from 'node:crypto'
import { normalizeTag } from '../catalog/schema.js'
import * as C from './constants.js'
import { InvalidFedRunError } from './errors.js'
import type { FedRunRequest, StoredFedRun } from './types.js'
import type { Catalog } from '../catalog/index.js'

/** A run's ID: 1 to 64 of A-Z a-z 0-9 . _ - */
export const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/

/**
 * A run request checked (ID, rounds, nodes, fraction, dataset tag, deadline, protocols, name,
 * a public initial model held here): the run as it starts.
 */
export async function checkRunRequest (req: FedRunRequest, ctx: { self: string, catalog: Pick<Catalog, 'get'>, roundTimeout?: number }): Promise<StoredFedRun> {
  const { self, catalog } = ctx
  const id = req.id ?? randomUUID()
  if (!RUN_ID.test(id)) throw new InvalidFedRunError('the run ID must be 1 to 64 of A-Z a-z 0-9 . _ -')
  if (!Number.isSafeInteger(req.rounds) || req.rounds < 1 || req.rounds > C.MAX_ROUNDS) throw new InvalidFedRunError(`--rounds must be an integer from 1 to ${C.MAX_ROUNDS}`)
  const minNodes = req.minNodes ?? 1
  if (!Number.isSafeInteger(minNodes) || minNodes < 1 || minNodes > C.MAX_WORKERS) throw new InvalidFedRunError(`--min-nodes must be an integer from 1 to ${C.MAX_WORKERS}`)
  const fraction = req.fraction ?? 1
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new InvalidFedRunError('--fraction must be a number in (0, 1]')
  let dataset: string
  try { dataset = normalizeTag(req.dataset) } catch { throw new InvalidFedRunError(`--dataset must be a tag such as '#mnist', not ${JSON.stringify(req.dataset)}`) }
  const roundTimeout = req.roundTimeout ?? ctx.roundTimeout ?? C.ROUND_TIMEOUT
  if (!Number.isSafeInteger(roundTimeout) || roundTimeout < 1) throw new InvalidFedRunError('the round deadline must be a positive number of ms')
  if (typeof req.train !== 'string' || req.train === '' || typeof req.aggregate !== 'string' || req.aggregate === '') throw new InvalidFedRunError('a run needs a training and an aggregation protocol')
  const name = req.name ?? `fed-${id.slice(0, 8)}`
  if (!NAME.test(name)) throw new InvalidFedRunError('the run name must be letters, digits, . _ - (starting with a letter or digit)')
  const model = await catalog.get('model', req.init).catch(() => { throw new InvalidFedRunError(`--init ${req.init}: no such model on this node (add it with paip models add)`) })
  if (!model.public) throw new InvalidFedRunError(`--init ${req.init}: the model must be public, so that workers can fetch it (paip models add --public)`)
  const now = Date.now()
  return {
    id, state: 'running', coordinator: self, ...(req.user == null ? {} : { user: req.user }), name, dataset, rounds: req.rounds, minNodes, fraction,
    secure: req.secure === true, roundTimeout, parameters: req.parameters ?? {}, init: model.manifest, model: model.manifest, round: 1, attempt: 0,
    history: [], createdAt: now, updatedAt: now, train: req.train, aggregate: req.aggregate
  }
}
