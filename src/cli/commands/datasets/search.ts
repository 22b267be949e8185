import { apiFromContext } from '../../api.js'
import { basePath, resultLines } from './shared.js'
import type { EntryKind, SearchResult } from '../../../catalog/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerSearch (group: Command, action: Action, kind: EntryKind): void {
  group.command('search')
    .argument('<terms...>', "tags ('#mnist') or names")
    .description(`find the nodes holding ${kind}s with these tags or names (nodes with all of them first)`)
    .option('--timeout <ms>', 'how long to search', v => Number.parseInt(v, 10))
    .addHelpText('after', `\nExample:\n  $ paip ${kind}s search '#MNIST' '#boston-housing'`)
    .action(action(async (ctx, terms: string[], options: { timeout?: number }) => {
      const api = await apiFromContext(ctx)
      const { results } = await api.post<{ results: SearchResult[] }>(`${basePath(kind)}/search`, { query: terms, timeout: options.timeout }, { signal: ctx.signal })
      return { data: results, text: resultLines(results) }
    }))
}
