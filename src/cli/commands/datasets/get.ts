import { BadApiResponseError, ApiError } from '../../../api/errors.js'
import { ndjsonLines, NDJSON_TYPE } from '../../../ndjson.js'
import { apiFromContext } from '../../api.js'
import { progressBar } from './progress.js'
import { basePath, entryLine } from './shared.js'
import type { CatalogEntry, EntryKind, FetchProgress } from '../../../catalog/index.js'
import type { ErrorBody } from '../../../api/errors.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerGet (group: Command, action: Action, kind: EntryKind = 'dataset'): void {
  group.command('get')
    .argument('<ref>', `name or manifest CID of a public ${kind} on the grid`)
    .description(`copy a public ${kind} from the nodes holding it to this node (verified, resumable), which then announces it too`)
    .addHelpText('after', `\nExample:\n  $ paip ${kind}s get ${kind === 'dataset' ? 'mnist' : 'lenet'}`)
    .action(action(async (ctx, ref: string) => {
      const api = await apiFromContext(ctx)
      const response = await api.request(`${basePath(kind)}/fetch`, {
        method: 'POST',
        body: { ref },
        headers: { accept: NDJSON_TYPE },
        signal: ctx.signal
      })
      if (response.body == null) throw new BadApiResponseError('the node answered a fetch with no body')
      const bar = ctx.io.isTTY && !ctx.globals.json ? progressBar(ctx.io.stderr) : undefined
      let entry: CatalogEntry | undefined
      try {
        for await (const message of ndjsonLines(response.body as any as AsyncIterable<Uint8Array>)) {
          const m = message as { progress?: FetchProgress, entry?: CatalogEntry } & Partial<ErrorBody>
          if (m.progress != null) bar?.update(m.progress.bytes, m.progress.total)
          else if (m.entry != null) entry = m.entry
          else if (m.error != null) throw new ApiError(m.error.name, m.error.message, m.error.kind, m.error.details)
        }
      } finally {
        bar?.done()
      }
      if (entry == null) throw new BadApiResponseError('the node ended the fetch without an answer')
      return { data: entry, text: [`fetched ${entryLine(entry)}`, `manifest ${entry.manifest}`] }
    }))
}
