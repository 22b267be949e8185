import { registerValidate } from './validate.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip validate <file|dir>...`: check OpenPAI protocols; no repository, no daemon. */
export function register (program: Command, action: Action): void {
  registerValidate(program, action)
}
