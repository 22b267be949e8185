import { registerAdd } from './add.js'
import { registerGet } from './get.js'
import { registerList } from './list.js'
import { registerRm } from './rm.js'
import { registerSearch } from './search.js'
import { registerShow } from './show.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip datasets add|list|show|rm|search|get`. */
export function register (program: Command, action: Action): void {
  const group = program.command('datasets')
    .description('datasets: register, list, show, delete, search the grid, fetch public ones')
    .addHelpText('after', "\nExample:\n  $ paip datasets search '#MNIST'")
  registerAdd(group, action)
  registerList(group, action, 'dataset')
  registerShow(group, action, 'dataset')
  registerRm(group, action, 'dataset')
  registerSearch(group, action, 'dataset')
  registerGet(group, action)
}
