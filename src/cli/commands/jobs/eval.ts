import { apiFromContext } from '../../api.js'
import type { EvalListing, EvalRecord, EvalResult, OrderResult } from '../../../jobs/eval/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

function resultText (r: EvalResult | OrderResult['record']): string[] {
  if (r == null) return []
  return [
    `state:    ${r.state}${r.reason == null ? '' : ` (${r.reason})`}`,
    `model:    ${r.model}`,
    `dataset:  ${r.dataset}`,
    `criteria: ${r.criteria.join(', ') || '(standard)'}`,
    `ran on:   ${r.node} (job ${r.job})`,
    ...(r.metrics === undefined ? [] : [`metrics:  ${JSON.stringify(r.metrics)}`])
  ]
}

export function registerEval (program: Command, action: Action): void {
  const evaluate = program
    .command('eval')
    .description('evaluate a model on a dataset, unless that evaluation already ran somewhere')
    .argument('<model>', 'model reference (name or CID)')
    .argument('<dataset>', 'dataset reference (#tag, name or CID)')
    .option('--criteria <list>', 'comma-separated evaluation criteria (part of the evaluation\'s key)')
    .addHelpText('after', '\nExample:\n  $ paip eval lenet \'#MNIST\' --criteria accuracy,f1\n  $ paip eval results bafkrei...')
    .action(action(async (ctx, model: string, dataset: string, options: { criteria?: string }) => {
      const api = await apiFromContext(ctx)
      const criteria = options.criteria == null ? [] : options.criteria.split(',').map(s => s.trim()).filter(s => s !== '')
      const result = await api.post<OrderResult>('/api/v1/evals', { model, dataset, criteria }, { signal: ctx.signal })
      const text = [`key: ${result.key}`, result.cached ? 'already evaluated: nothing was run' : `running as job ${result.job?.id ?? '?'} on ${result.node ?? '?'}: ${result.reason ?? ''}`]
      return { data: result, text: [...text, ...resultText(result.record)] }
    }))

  evaluate.command('results <key>')
    .description('the signed result of an evaluation, from anywhere on the grid')
    .addHelpText('after', '\nExample:\n  $ paip eval results bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    .action(action(async (ctx, key: string) => {
      const api = await apiFromContext(ctx)
      const result = await api.get<EvalResult>(`/api/v1/evals/${encodeURIComponent(key)}`, { signal: ctx.signal })
      return { data: result, text: [`key:      ${result.key}`, ...resultText(result), `signed by ${result.publisher}`] }
    }))

  evaluate.command('list')
    .description('the evaluations this node ran or ordered (latest attempt of each), newest first')
    .addHelpText('after', '\nExample:\n  $ paip eval list --json')
    .action(action(async (ctx) => {
      const api = await apiFromContext(ctx)
      const { evals } = await api.get<{ evals: EvalListing[] }>('/api/v1/evals', { signal: ctx.signal })
      return {
        data: evals,
        text: evals.length === 0
          ? ['no evaluations']
          : ['KEY\tSTATE\tCRITERIA\tJOB\tMODEL\tDATASET', ...evals.map(e => `${e.key}\t${e.state}\t${e.criteria.join(',') || '-'}\t${e.job}\t${e.model}\t${e.dataset}`)]
      }
    }))

  evaluate.command('rm <key>')
    .description('withdraw this node\'s result of an evaluation (the next order runs it again)')
    .addHelpText('after', '\nExample:\n  $ paip eval rm bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    .action(action(async (ctx, key: string) => {
      const api = await apiFromContext(ctx)
      const record = await api.delete<EvalRecord>(`/api/v1/evals/${encodeURIComponent(key)}`, undefined, { signal: ctx.signal })
      return { data: record, text: [`removed ${key}: ordering it again runs it again`] }
    }))
}
