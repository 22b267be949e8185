import { shortId } from '../../../repo/index.js'
import { repoOptions, withRepository } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerCommit (program: Command, action: Action): void {
  repoOptions(program.command('commit')
    .argument('[paths...]', 'commit only the staged files at or under these paths (default: all staged)')
    .requiredOption('-m, --message <message>', 'what changed')
    .description('record a new version of each staged file'))
    .addHelpText('after', '\nExample:\n  $ paip commit -m "mnist: 2 GPUs" mnist.yaml')
    .action(action(async (ctx, paths: string[], options: RepoCommandOptions & { message: string }) => {
      return await withRepository(ctx, options, async (repo, cwd) => {
        const versions = await repo.commit(options.message, { paths, cwd, signal: ctx.signal })
        return {
          data: { versions },
          text: versions.map(v => `${shortId(v.cid)} ${v.path}@${v.seq} ${v.message.split('\n')[0]}`)
        }
      })
    }))
}
