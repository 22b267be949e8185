import type { Command } from 'commander'
import { register as registerNode } from './node/index.js'
import { register as registerConfig } from './config/index.js'
import { register as registerRepo } from './repo/index.js'
import { register as registerDatasets } from './datasets/index.js'
import { register as registerModels } from './models/index.js'
import { register as registerValidate } from './validate/index.js'
import { register as registerJobs } from './jobs/index.js'
import { register as registerMarketplace } from './marketplace/index.js'
import type { Action } from '../program.js'

/**
 * Every command group registers itself here, one line each. A group lives in
 * `src/cli/commands/<group>/` with one file per verb and an `index.ts` exporting `register`.
 */
export function registerCommands (program: Command, action: Action): void {
  void program
  void action
  registerNode(program, action)
  registerConfig(program, action)
  registerValidate(program, action)
  registerRepo(program, action)
  registerDatasets(program, action)
  registerModels(program, action)
  registerJobs(program, action)
  registerMarketplace(program, action)
}
