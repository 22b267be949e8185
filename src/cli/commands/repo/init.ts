import { join, resolve } from 'node:path'
import { gitAuthor, initRepository, REPO_DIR } from '../../../repo/index.js'
import { authorFrom, repoOptions, workDir } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerInit (program: Command, action: Action): void {
  repoOptions(program.command('init')
    .argument('[dir]', 'directory to hold the repository (default: the current one)')
    .description('create a local protocol repository (metadata in <dir>/.paip-repo)'))
    .addHelpText('after', '\nExample:\n  $ paip init pai_experiments')
    .action(action(async (ctx, dir: string | undefined, options: RepoCommandOptions) => {
      const target = resolve(workDir(ctx, options), dir ?? '.')
      const repo = await initRepository(target, { author: authorFrom(ctx), defaultAuthor: await gitAuthor(ctx.io.env), signal: ctx.signal })
      await repo.close()
      return { data: { root: repo.root }, text: `initialised an empty paip repository in ${join(repo.root, REPO_DIR)}` }
    }))
}
