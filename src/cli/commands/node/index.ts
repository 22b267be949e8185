import { registerDaemon } from './daemon.js'
import { registerGc } from './gc.js'
import { registerId } from './id.js'
import { registerPeers } from './peers.js'
import { registerPing } from './ping.js'
import { registerStatus } from './status.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** The node commands: `paip daemon`, `paip gc`, `paip id`, `paip peers`, `paip ping`, `paip status`. */
export function register (program: Command, action: Action): void {
  registerDaemon(program, action)
  registerGc(program, action)
  registerId(program, action)
  registerPeers(program, action)
  registerPing(program, action)
  registerStatus(program, action)
}
