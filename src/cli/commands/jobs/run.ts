import { randomUUID } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import { keyValue, short } from './shared.js'
import type { Dispatched } from '../../../jobs/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

interface RunOptions {
  dataset?: string
  model?: string
  node?: string
  param?: Record<string, string>
  secret?: Record<string, string>
  id?: string
  timeLimit?: string
}

async function isFile (file: string): Promise<boolean> {
  try { return (await stat(file)).isFile() } catch { return false }
}

export function registerRun (program: Command, action: Action): void {
  program
    .command('run <protocol>')
    .description('run an OpenPAI protocol (a YAML file or a published protocol) on a node that holds its dataset')
    .option('--dataset <ref>', 'dataset the job needs (a #tag, name or CID): it runs on a node holding it')
    .option('--model <ref>', 'model the job needs (given to it when the node holds it)')
    .option('--node <peer>', 'run on this node (peer ID) instead of choosing')
    .option('--param <key=value>', 'a parameter (repeatable); overrides the protocol\'s', keyValue)
    .option('--secret <key=value>', 'a secret (repeatable); rendered into commands, never shown', keyValue)
    .option('--id <id>', 'the job ID (default: a new UUID); re-running with the same ID never starts it twice')
    .option('--time-limit <seconds>', 'stop the job after this long (the node may allow less)')
    .addHelpText('after', '\nExample:\n  $ paip run mnist.yaml --dataset \'#MNIST\' --param epochs=3 --secret token=abc')
    .action(action(async (ctx, protocolArg: string, options: RunOptions) => {
      if (options.dataset != null && options.node != null) throw new InvalidArgumentError('give --dataset or --node, not both')
      const file = path.resolve(ctx.io.cwd, protocolArg)
      const body: Record<string, unknown> = {
        id: options.id ?? randomUUID(),
        parameters: options.param ?? {},
        secrets: options.secret ?? {}
      }
      if (await isFile(file)) body.protocol = await readFile(file, 'utf8')
      else body.protocolRef = protocolArg
      if (options.dataset != null) body.dataset = options.dataset
      if (options.model != null) body.model = options.model
      if (options.node != null) body.node = options.node
      if (options.timeLimit != null) {
        const seconds = Number(options.timeLimit)
        if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('--time-limit must be a positive number of seconds')
        body.timeLimit = Math.round(seconds * 1000)
      }
      const api = await apiFromContext(ctx)
      const result = await api.post<Dispatched>('/api/v1/jobs', body, { signal: ctx.signal })
      const { offers, ...data } = result
      return {
        data: { ...data, candidates: offers.map(o => ({ peer: o.peer, holds: o.holds, free: o.free, slots: o.slots, queued: o.queued })) },
        text: [
          `${result.duplicate ? 'already submitted' : 'submitted'}: job ${result.job.id} (${result.job.state})`,
          `node: ${result.node} (${short(result.node)})`,
          `why:  ${result.reason}`,
          `follow it with: paip jobs logs ${result.job.id} -f`
        ]
      }
    }))
}
