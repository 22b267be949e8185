import { formatVersion } from '../../../repo/index.js'
import { repoOptions, withRepository } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerShow (program: Command, action: Action): void {
  repoOptions(program.command('show')
    .argument('<version>', 'a version CID or unique prefix, <file>@<n>, or a tag naming one version')
    .description('print a version\'s record and content'))
    .addHelpText('after', '\nExample:\n  $ paip show mnist.yaml@2')
    .action(action(async (ctx, ref: string, options: RepoCommandOptions) => {
      return await withRepository(ctx, options, async repo => {
        const { version, content } = await repo.show(ref, { signal: ctx.signal })
        const text = new TextDecoder().decode(content)
        return { data: { version, content: text }, text: [...formatVersion(version), '', text.replace(/\n$/, '')] }
      })
    }))
}
