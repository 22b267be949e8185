import { registerAdd } from './add.js'
import { registerCheckout } from './checkout.js'
import { registerCommit } from './commit.js'
import { registerDiff } from './diff.js'
import { registerInit } from './init.js'
import { registerLog } from './log.js'
import { registerShow } from './show.js'
import { registerTag } from './tag.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

/**
 * The local repository's commands, at top level (`paip init`, `paip add`...). `paip status`
 * belongs to the node's group; it shows `repositoryStatus()` through `formatRepositoryStatus()`.
 */
export function register (program: Command, action: Action): void {
  registerInit(program, action)
  registerAdd(program, action)
  registerCommit(program, action)
  registerLog(program, action)
  registerShow(program, action)
  registerDiff(program, action)
  registerCheckout(program, action)
  registerTag(program, action)
}
