import { shortId } from '../../../repo/index.js'
import { repoOptions, withRepository } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerCheckout (program: Command, action: Action): void {
  repoOptions(program.command('checkout')
    .argument('<version>', 'a version CID or unique prefix, <file>@<n>, a tag, or HEAD')
    .argument('[paths...]', 'restore only these files or directories')
    .option('-f, --force', 'overwrite changes that are neither committed nor staged', false)
    .description('restore files in the working tree to the exact bytes of a version'))
    .addHelpText('after', '\nExamples:\n  $ paip checkout mnist.yaml@1\n  $ paip checkout v1.0 mnist.yaml')
    .action(action(async (ctx, ref: string, paths: string[], options: RepoCommandOptions & { force: boolean }) => {
      return await withRepository(ctx, options, async (repo, cwd) => {
        const result = await repo.checkout(ref, { paths, cwd, force: options.force, signal: ctx.signal })
        return { data: result, text: result.restored.map(r => `restored ${r.path} (${shortId(r.version)})`) }
      })
    }))
}
