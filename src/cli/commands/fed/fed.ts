import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { InvalidArgumentError } from '../../../errors.js'
import { pause } from '../../../time.js'
import { apiFromContext } from '../../api.js'
import { keyValue, short } from '../jobs/shared.js'
import type { FedRun } from '../../../fed/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

interface RunOptions {
  dataset: string
  aggregate: string
  rounds: string
  minNodes?: string
  fraction?: string
  init: string
  secure: boolean
  param?: Record<string, string>
  id?: string
  name?: string
  roundTimeout?: string
  wait: boolean
}

function when (ms?: number): string {
  return ms == null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

export function runLine (run: FedRun): string {
  return `${run.id}  ${run.state}${run.reason == null ? '' : ` (${run.reason})`}  round ${Math.min(run.round, run.rounds)}/${run.rounds}  ${run.dataset}${run.secure ? '  secure' : ''}  ${when(run.createdAt)}`
}

export function runText (run: FedRun): string[] {
  return [
    `run:         ${run.id}`,
    `state:       ${run.state}${run.reason == null ? '' : ` (${run.reason})`}`,
    `coordinator: ${run.coordinator}`,
    `dataset:     ${run.dataset}   rounds: ${run.history.length}/${run.rounds} done   min nodes: ${run.minNodes}   fraction: ${run.fraction}${run.secure ? '   secure' : ''}`,
    `model:       ${run.model}${run.history.length === 0 ? ' (initial)' : ` (${run.history[run.history.length - 1].modelName ?? ''})`}`,
    ...run.history.map(r => `  round ${String(r.round).padStart(3)}: ${r.workers.filter(w => w.state === 'ok').length}/${r.workers.length} update(s)  ${r.finishedAt == null ? '-' : `${r.finishedAt - r.startedAt} ms`}  ${r.modelName ?? ''}  ${r.workers.filter(w => w.state !== 'ok').map(w => `${short(w.peer)} ${w.state}`).join(', ')}`)
  ]
}

async function protocolText (cwd: string, file: string, flag: string): Promise<string> {
  try { return await readFile(path.resolve(cwd, file), 'utf8') } catch (err: any) {
    throw new InvalidArgumentError(`${flag}: cannot read ${file} (${err?.code ?? err?.message})`)
  }
}

function integer (value: string | undefined, flag: string): number | undefined {
  if (value == null) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer, not ${JSON.stringify(value)}`)
  return n
}

export function registerFedVerbs (fed: Command, action: Action): void {
  fed.command('run <train-protocol>')
    .description('train across the holders of a dataset tag: each round, local training where the data is, then aggregation here; the data never moves')
    .requiredOption('--dataset <#tag>', 'the dataset tag whose holders train (one job per node)')
    .requiredOption('--aggregate <protocol>', 'the aggregation protocol (YAML file), run on this node over the round\'s updates')
    .requiredOption('--rounds <n>', 'how many rounds')
    .requiredOption('--init <model>', 'the initial global model (a public model of this node: name or CID)')
    .option('--min-nodes <k>', 'fewest updates a round needs (default 1)')
    .option('--fraction <f>', 'share of the holders asked each round, in (0, 1] (default 1)')
    .option('--secure', 'pairwise-masked updates: this node learns only their sum', false)
    .option('--param <key=value>', 'a parameter of the training protocol (repeatable)', keyValue)
    .option('--id <id>', 'the run ID (default: a new UUID); the same ID again returns the existing run')
    .option('--name <name>', 'the model versions are named <name>-r<round> (default fed-<id>)')
    .option('--round-timeout <seconds>', 'workers slower than this are left out of the round')
    .option('--wait', 'wait for the run to end, printing its log', false)
    .addHelpText('after', '\nExample:\n  $ paip fed run train.yaml --dataset \'#fedlr-demo\' --aggregate fedavg.yaml --rounds 10 --min-nodes 3 --init fedlr-init --secure')
    .action(action(async (ctx, trainFile: string, options: RunOptions) => {
      const rounds = integer(options.rounds, '--rounds')
      const minNodes = integer(options.minNodes, '--min-nodes')
      const fraction = options.fraction == null ? undefined : Number(options.fraction)
      if (fraction != null && !(fraction > 0 && fraction <= 1)) throw new InvalidArgumentError('--fraction must be a number in (0, 1]')
      let roundTimeout: number | undefined
      if (options.roundTimeout != null) {
        const seconds = Number(options.roundTimeout)
        if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('--round-timeout must be a positive number of seconds')
        roundTimeout = Math.round(seconds * 1000)
      }
      const body = {
        id: options.id ?? randomUUID(),
        train: await protocolText(ctx.io.cwd, trainFile, 'train protocol'),
        aggregate: await protocolText(ctx.io.cwd, options.aggregate, '--aggregate'),
        dataset: options.dataset,
        rounds,
        init: options.init,
        secure: options.secure,
        parameters: options.param ?? {},
        ...(minNodes == null ? {} : { minNodes }),
        ...(fraction == null ? {} : { fraction }),
        ...(options.name == null ? {} : { name: options.name }),
        ...(roundTimeout == null ? {} : { roundTimeout })
      }
      const api = await apiFromContext(ctx)
      let { run } = await api.post<{ run: FedRun }>('/api/v1/fed', body, { signal: ctx.signal })
      if (!options.wait) {
        return { data: run, text: [`started: federated run ${run.id} (${run.rounds} round(s) over ${run.dataset})`, `follow it with: paip fed status ${run.id}`] }
      }
      let offset = 0
      while (true) {
        // the state first: a run logs its last line before it ends, so the log read after an ended state is whole
        run = (await api.get<{ run: FedRun }>(`/api/v1/fed/${encodeURIComponent(run.id)}`, { signal: ctx.signal })).run
        const { lines } = await api.get<{ lines: string[] }>(`/api/v1/fed/${encodeURIComponent(run.id)}/logs`, { signal: ctx.signal, query: { offset } })
        // the log is for people: under --json it goes to stderr, keeping stdout one JSON document
        for (const line of lines) (ctx.globals.json ? ctx.io.stderr : ctx.io.stdout)(line + '\n')
        offset += lines.length
        if (run.state !== 'running') break
        await pause(500, ctx.signal)
      }
      return { data: run, text: runText(run) }
    }))

  fed.command('status <id>')
    .description('a run\'s state, rounds, workers and model versions (from any node)')
    .action(action(async (ctx, id: string) => {
      const api = await apiFromContext(ctx)
      const { run } = await api.get<{ run: FedRun }>(`/api/v1/fed/${encodeURIComponent(id)}`, { signal: ctx.signal })
      return { data: run, text: runText(run) }
    }))

  fed.command('logs <id>')
    .description('what the run\'s coordinator logged (from any node)')
    .action(action(async (ctx, id: string) => {
      const api = await apiFromContext(ctx)
      const { lines } = await api.get<{ lines: string[] }>(`/api/v1/fed/${encodeURIComponent(id)}/logs`, { signal: ctx.signal })
      return { data: lines, text: lines }
    }))

  fed.command('cancel <id>')
    .description('stop a run after its coordinator (from any node)')
    .action(action(async (ctx, id: string) => {
      const api = await apiFromContext(ctx)
      const { run } = await api.post<{ run: FedRun }>(`/api/v1/fed/${encodeURIComponent(id)}/cancel`, {}, { signal: ctx.signal })
      return { data: run, text: [runLine(run)] }
    }))

  fed.command('list')
    .description('the runs this node coordinates, newest first')
    .action(action(async (ctx) => {
      const api = await apiFromContext(ctx)
      const { runs } = await api.get<{ runs: FedRun[] }>('/api/v1/fed', { signal: ctx.signal })
      return { data: runs, text: runs.length === 0 ? ['no federated runs'] : runs.map(runLine) }
    }))
}
