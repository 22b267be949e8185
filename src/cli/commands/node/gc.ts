import { apiFromContext } from '../../api.js'
import type { SweepResult } from '../../../storage/sweep.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export function registerGc (program: Command, action: Action): void {
  program
    .command('gc')
    .description('remove the node\'s blobs nothing references and leftover temp files (the node also does it at start); the node\'s admin only')
    .option('--dry-run', 'only say what would be removed')
    .addHelpText('after', '\nExamples:\n  $ paip gc\n  $ paip gc --dry-run --json')
    .action(action(async (ctx, options: { dryRun?: boolean }) => {
      const api = await apiFromContext(ctx)
      const result = await api.post<SweepResult & { dryRun: boolean }>('/api/v1/gc', { dryRun: options.dryRun === true }, { signal: ctx.signal })
      const verb = result.dryRun ? 'would remove' : 'removed'
      return {
        data: result,
        text: `${verb} ${result.blobs} unreferenced blob(s) (${mb(result.blobBytes)}) and ${result.temp} temp file(s) (${mb(result.tempBytes)}); kept ${result.referenced} referenced blob(s)`
      }
    }))
}
