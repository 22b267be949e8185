import { registerGet } from '../datasets/get.js'
import { registerList } from '../datasets/list.js'
import { registerRm } from '../datasets/rm.js'
import { registerSearch } from '../datasets/search.js'
import { registerShow } from '../datasets/show.js'
import { registerAdd } from './add.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip models add|list|show|rm|search|get`. */
export function register (program: Command, action: Action): void {
  const group = program.command('models')
    .description('models: register with evaluation metadata, list, show, delete, search the grid, fetch public ones')
    .addHelpText('after', "\nExample:\n  $ paip models search '#vision'")
  registerAdd(group, action)
  registerList(group, action, 'model')
  registerShow(group, action, 'model')
  registerRm(group, action, 'model')
  registerSearch(group, action, 'model')
  registerGet(group, action, 'model')
}
