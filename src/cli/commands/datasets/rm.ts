import { apiFromContext } from '../../api.js'
import { basePath } from './shared.js'
import type { CatalogEntry, EntryKind } from '../../../catalog/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerRm (group: Command, action: Action, kind: EntryKind): void {
  group.command('rm')
    .argument('<ref>', 'name or manifest CID')
    .description(`delete a ${kind}: stop announcing it and remove its files (unless another entry shares them)`)
    .addHelpText('after', `\nExample:\n  $ paip ${kind}s rm ${kind === 'dataset' ? 'mnist' : 'vit-base'}`)
    .action(action(async (ctx, ref: string) => {
      const api = await apiFromContext(ctx)
      const entry = await api.delete<CatalogEntry>(`${basePath(kind)}/${encodeURIComponent(ref)}`, undefined, { signal: ctx.signal })
      return { data: entry, text: `removed ${kind} ${entry.name}` }
    }))
}
