import { ROUND_ATTEMPTS } from './constants.js'
import { RoundFailedError } from './errors.js'
import { pickWorkers, playRound } from './round.js'
import type { CoordinatorComponents, RoundContext } from './round.js'
import type { FedRound, StoredFedRun } from './types.js'

export { pickWorkers } from './round.js'
export type { CoordinatorComponents } from './round.js'
export { RoundFailedError } from './errors.js'

/**
 * The coordinator's round loop. Each round: find the holders of the tag (offers), pick a
 * share of them, (secure: collect their signed round keys,) send each the training request,
 * verify the updates that come back before the deadline, (secure: have the survivors reveal
 * their seeds with the dropped,) run the aggregation protocol on this node over the updates
 * and register its output as the next model version. The run is written to the database
 * after every step; a restarted coordinator plays the round it was in again, and every step
 * of a round is idempotent (the same job IDs, the same keys, the same catalog names).
 */

export function createCoordinator (c: CoordinatorComponents) {
  const ctx: RoundContext = {
    ...c,
    async note (run, line) {
      c.log('%s: %s', run.id, line)
      await c.store.log(run.id, line)
    }
  }

  /** Plays the run's rounds from the one it is in until the last, persisting after each. */
  async function drive (run: StoredFedRun, signal: AbortSignal): Promise<StoredFedRun> {
    while (run.round <= run.rounds) {
      let attempt = (run.attempt ?? 0) + 1
      let record: FedRound | undefined
      for (; attempt <= ROUND_ATTEMPTS; attempt++) {
        run.attempt = attempt - 1
        await c.store.put({ ...run, updatedAt: Date.now() })
        try {
          record = await playRound(ctx, run, run.round, attempt, signal)
          break
        } catch (err: any) {
          if (signal.aborted) throw err
          if (err?.name !== 'RoundFailedError' && err?.name !== 'BadUpdateError') throw err
          await ctx.note(run, `${err.message}${attempt < ROUND_ATTEMPTS ? ': trying the round again' : ''}`)
          if (attempt === ROUND_ATTEMPTS) throw err
        }
      }
      if (record == null) throw new RoundFailedError(`round ${run.round} failed`)
      run = { ...run, model: record.model as string, history: [...run.history, record], round: run.round + 1, attempt: 0, updatedAt: Date.now() }
      await c.store.put(run)
    }
    run = { ...run, round: run.rounds, state: 'succeeded', updatedAt: Date.now() }
    // the last line goes before the ended state: whoever sees the state ended can read the whole log
    await ctx.note(run, `done: ${run.rounds} round(s), model ${run.model}`)
    await c.store.put(run)
    return run
  }

  return { drive, pickWorkers }
}
