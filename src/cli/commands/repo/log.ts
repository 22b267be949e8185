import { formatLog } from '../../../repo/index.js'
import { InvalidArgumentError } from '../../../errors.js'
import { repoOptions, withRepository } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerLog (program: Command, action: Action): void {
  repoOptions(program.command('log')
    .argument('[file]', 'one file\'s history (default: every file\'s)')
    .option('-n, --limit <n>', 'show at most <n> versions')
    .option('--oneline', 'one line per version', false)
    .description('list versions, newest first'))
    .addHelpText('after', '\nExample:\n  $ paip log mnist.yaml --oneline')
    .action(action(async (ctx, file: string | undefined, options: RepoCommandOptions & { limit?: string, oneline: boolean }) => {
      const limit = options.limit == null ? undefined : Number(options.limit)
      if (limit != null && (!Number.isSafeInteger(limit) || limit < 1)) throw new InvalidArgumentError('--limit takes a positive whole number')
      return await withRepository(ctx, options, async (repo, cwd) => {
        const versions = await repo.log(file, { cwd, limit, signal: ctx.signal })
        return { data: { versions }, text: versions.length === 0 ? 'no versions yet' : formatLog(versions, options.oneline) }
      })
    }))
}
