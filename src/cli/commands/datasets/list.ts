import { apiFromContext } from '../../api.js'
import { basePath, entryLine } from './shared.js'
import type { CatalogEntry, EntryKind } from '../../../catalog/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerList (group: Command, action: Action, kind: EntryKind): void {
  group.command('list')
    .description(`list the ${kind}s this node holds`)
    .option('--tag <tag>', 'only those with this tag')
    .addHelpText('after', `\nExample:\n  $ paip ${kind}s list --tag '#mnist' --json`)
    .action(action(async (ctx, options: { tag?: string }) => {
      const api = await apiFromContext(ctx)
      const answer = await api.get<Record<string, CatalogEntry[]>>(basePath(kind), { signal: ctx.signal, query: { tag: options.tag } })
      const entries = answer[`${kind}s`] ?? []
      return { data: entries, text: entries.length === 0 ? [`no ${kind}s`] : entries.map(entryLine) }
    }))
}
