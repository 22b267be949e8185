import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createWriteStream } from 'node:fs'
import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import { jobLine, jobText, outputLines } from './shared.js'
import type { Job, JobOutput } from '../../../jobs/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled']

export function registerJobVerbs (jobs: Command, action: Action): void {
  jobs.command('list')
    .description('jobs of this node and jobs it sent to other nodes, newest first')
    .option('--state <state>', `only jobs in this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '100')
    .addHelpText('after', '\nExample:\n  $ paip jobs list --state running')
    .action(action(async (ctx, options: { state?: string, limit: string }) => {
      if (options.state != null && !STATES.includes(options.state)) throw new InvalidArgumentError(`--state must be one of ${STATES.join(', ')}`)
      const api = await apiFromContext(ctx)
      const { jobs: list } = await api.get<{ jobs: Job[] }>('/api/v1/jobs', { signal: ctx.signal, query: { state: options.state, limit: Number(options.limit) } })
      return { data: list, text: list.length === 0 ? ['no jobs'] : list.map(jobLine) }
    }))

  jobs.command('status <id>')
    .description('a job\'s state, node, runtime and outputs (from any node)')
    .addHelpText('after', '\nExample:\n  $ paip jobs status 1b4e28ba-2fa1-11d2-883f-0016d3cca427')
    .action(action(async (ctx, id: string) => {
      const api = await apiFromContext(ctx)
      const { job } = await api.get<{ job: Job }>(`/api/v1/jobs/${encodeURIComponent(id)}`, { signal: ctx.signal })
      return { data: job, text: jobText(job) }
    }))

  jobs.command('logs <id>')
    .description('what a job printed (secrets hidden); with -f, follow it live until it ends')
    .option('-f, --follow', 'keep printing as the job runs', false)
    .addHelpText('after', '\nExample:\n  $ paip jobs logs 1b4e28ba-2fa1-11d2-883f-0016d3cca427 -f')
    .action(action(async (ctx, id: string, options: { follow: boolean }) => {
      const api = await apiFromContext(ctx)
      const response = await api.request(`/api/v1/jobs/${encodeURIComponent(id)}/logs`, { signal: ctx.signal, query: { follow: options.follow } })
      const decoder = new TextDecoder()
      if (response.body != null) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) ctx.io.stdout(decoder.decode(chunk, { stream: true }))
      }
      ctx.io.stdout(decoder.decode())
      return undefined
    }))

  jobs.command('cancel <id>')
    .description('stop a job (its whole process group) wherever it runs')
    .addHelpText('after', '\nExample:\n  $ paip jobs cancel 1b4e28ba-2fa1-11d2-883f-0016d3cca427')
    .action(action(async (ctx, id: string) => {
      const api = await apiFromContext(ctx)
      const { job } = await api.post<{ job: Job }>(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, {}, { signal: ctx.signal })
      return { data: job, text: jobLine(job) }
    }))

  jobs.command('results <id>')
    .description('a job\'s output files by CID; --get downloads them')
    .option('--get [dir]', 'download the outputs into this directory (default: ./<job id>)')
    .addHelpText('after', '\nExample:\n  $ paip jobs results 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --get out/')
    .action(action(async (ctx, id: string, options: { get?: string | boolean }) => {
      const api = await apiFromContext(ctx)
      const result = await api.get<{ id: string, state: string, node: string, outputs: JobOutput[] }>(`/api/v1/jobs/${encodeURIComponent(id)}/results`, { signal: ctx.signal })
      if (options.get == null || options.get === false) return { data: result, text: outputLines(result.outputs) }
      const dir = path.resolve(ctx.io.cwd, typeof options.get === 'string' ? options.get : id)
      const saved: string[] = []
      for (const output of result.outputs) {
        const target = path.resolve(dir, output.path)
        if (!target.startsWith(dir + path.sep)) throw new InvalidArgumentError(`refusing output path ${output.path}`)
        await fs.mkdir(path.dirname(target), { recursive: true })
        const response = await api.request(`/api/v1/jobs/${encodeURIComponent(id)}/outputs/${output.cid}`, { signal: ctx.signal })
        if (response.body == null) throw new InvalidArgumentError(`no bytes for ${output.path}`)
        await pipeline(Readable.fromWeb(response.body as any), createWriteStream(target))
        saved.push(target)
      }
      return { data: { ...result, dir, saved }, text: [...outputLines(result.outputs), `saved ${saved.length} file(s) in ${dir}`] }
    }))
}
