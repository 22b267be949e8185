import { registerShow } from './show.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip config ...`: the node's configuration. */
export function register (program: Command, action: Action): void {
  const config = program
    .command('config')
    .description('the node\'s configuration')
    .addHelpText('after', '\nExample:\n  $ paip config show --json')
  registerShow(config, action)
}
