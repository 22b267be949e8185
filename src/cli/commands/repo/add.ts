import { repoOptions, withRepository } from './shared.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerAdd (program: Command, action: Action): void {
  repoOptions(program.command('add')
    .argument('<paths...>', 'protocol files, or directories (their *.yaml / *.yml files)')
    .description('validate protocol files and stage them for the next commit (all or none)'))
    .addHelpText('after', '\nExample:\n  $ paip add mnist.yaml protocols/')
    .action(action(async (ctx, paths: string[], options: RepoCommandOptions) => {
      return await withRepository(ctx, options, async (repo, cwd) => {
        const result = await repo.add(paths, { cwd, signal: ctx.signal })
        const text: string[] = []
        for (const file of result.staged) text.push(`staged ${file.path} (${file.change})`)
        for (const path of result.unchanged) text.push(`unchanged ${path} (same as its last version)`)
        for (const { path, warnings } of result.warnings) {
          for (const w of warnings) text.push(`warning: ${path}${w.line != null ? `:${w.line}` : ''}: ${w.path !== '' ? `${w.path}: ` : ''}${w.message}`)
        }
        if (text.length === 0) text.push('no protocol files found')
        return { data: result, text }
      })
    }))
}
