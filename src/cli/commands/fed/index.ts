import { registerFedVerbs } from './fed.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip fed ...`: federated training over the holders of a dataset tag. */
export function register (program: Command, action: Action): void {
  const fed = program
    .command('fed')
    .description('federated training: run, status, logs, cancel, list (from any node)')
    .addHelpText('after', '\nExample:\n  $ paip fed run train.yaml --dataset \'#fedlr-demo\' --aggregate fedavg.yaml --rounds 10 --init fedlr-init\n  $ paip fed status <id>')
  registerFedVerbs(fed, action)
}
