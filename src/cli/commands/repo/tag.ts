import { shortId } from '../../../repo/index.js'
import { repoOptions, withRepository } from './shared.js'
import type { Tag } from '../../../repo/index.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerTag (program: Command, action: Action): void {
  repoOptions(program.command('tag')
    .argument('[name]', 'the tag to create (none: list tags)')
    .argument('[version]', 'the version to name (default: every file\'s last version)')
    .option('-f, --force', 'move a tag that exists', false)
    .description('name a version, or a snapshot of every file\'s last version'))
    .addHelpText('after', '\nExamples:\n  $ paip tag v1.0\n  $ paip tag mnist-best mnist.yaml@3\n  $ paip tag')
    .action(action(async (ctx, name: string | undefined, ref: string | undefined, options: RepoCommandOptions & { force: boolean }) => {
      return await withRepository(ctx, options, async repo => {
        if (name == null) {
          const tags = await repo.tags()
          return { data: { tags }, text: tags.map(describe) }
        }
        const tag = await repo.tag(name, ref, { force: options.force })
        return { data: tag, text: `tagged ${describe(tag)}` }
      })
    }))
}

function describe (tag: Tag): string {
  const entries = Object.entries(tag.versions)
  if (entries.length === 1) return `${tag.name} -> ${entries[0][0]} ${shortId(entries[0][1])}`
  return `${tag.name} -> ${entries.length} files`
}
