import { registerExport } from './export.js'
import { registerImport } from './import.js'
import { registerLogin } from './login.js'
import { registerMarketplace } from './marketplace.js'
import { registerPull } from './pull.js'
import { registerPush } from './push.js'
import { registerSearch } from './search.js'
import { registerSubmodule } from './submodule.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

/** `paip marketplace add|list|remove`, `paip login`, `paip push`, `paip pull`, `paip search`, `paip import`, `paip export`. */
export function register (program: Command, action: Action): void {
  registerMarketplace(program, action)
  registerLogin(program, action)
  registerPush(program, action)
  registerPull(program, action)
  registerSearch(program, action)
  registerSubmodule(program, action)
  registerImport(program, action)
  registerExport(program, action)
}
