import { apiFromContext } from '../../api.js'
import { basePath, entryDetails } from './shared.js'
import type { CatalogEntry, EntryKind } from '../../../catalog/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerShow (group: Command, action: Action, kind: EntryKind): void {
  group.command('show')
    .argument('<ref>', 'name or manifest CID')
    .description(`show a ${kind}'s metadata and files`)
    .addHelpText('after', `\nExample:\n  $ paip ${kind}s show ${kind === 'dataset' ? 'mnist' : 'vit-base'}`)
    .action(action(async (ctx, ref: string) => {
      const api = await apiFromContext(ctx)
      const entry = await api.get<CatalogEntry>(`${basePath(kind)}/${encodeURIComponent(ref)}`, { signal: ctx.signal })
      return { data: entry, text: entryDetails(entry) }
    }))
}
