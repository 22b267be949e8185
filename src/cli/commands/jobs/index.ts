import { registerEval } from './eval.js'
import { registerJobVerbs } from './jobs.js'
import { registerRun } from './run.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip run`, `paip jobs ...` and `paip eval ...`: jobs on the grid. */
export function register (program: Command, action: Action): void {
  registerRun(program, action)
  const jobs = program
    .command('jobs')
    .description('jobs: list, status, logs, cancel, results (from any node)')
    .addHelpText('after', '\nExample:\n  $ paip jobs list\n  $ paip jobs logs <id> -f')
  registerJobVerbs(jobs, action)
  registerEval(program, action)
}
