import { stat } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import { InvalidArgumentError } from '../../../errors.js'
import { repoOptions, withRepository } from './shared.js'
import type { Repository } from '../../../repo/index.js'
import type { Action } from '../../context.js'
import type { RepoCommandOptions } from './shared.js'
import type { Command } from 'commander'

export function registerDiff (program: Command, action: Action): void {
  repoOptions(program.command('diff')
    .argument('[args...]', '[file] [<version> [<version>]]')
    .option('-U, --unified <n>', 'lines of context', '3')
    .description('unified diff: working copies against their last versions, a file against a version, or two versions'))
    .addHelpText('after', '\nExamples:\n  $ paip diff\n  $ paip diff mnist.yaml mnist.yaml@1\n  $ paip diff mnist.yaml@1 mnist.yaml@3')
    .action(action(async (ctx, args: string[], options: RepoCommandOptions & { unified: string }) => {
      if (args.length > 3) throw new InvalidArgumentError('diff takes at most a file and two versions')
      const context = Number(options.unified)
      if (!Number.isSafeInteger(context) || context < 0) throw new InvalidArgumentError('--unified takes a whole number')
      return await withRepository(ctx, options, async (repo, cwd) => {
        const isFile = args.length > 0 && await looksLikeFile(repo, cwd, args[0])
        const path = isFile ? args[0] : undefined
        const [from, to] = isFile ? args.slice(1) : args
        if (isFile ? args.length > 3 : args.length > 2) throw new InvalidArgumentError('diff takes at most a file and two versions')
        const diffs = await repo.diff({ path, from, to, cwd, context, signal: ctx.signal })
        const text = diffs.map(d => d.patch).filter(p => p !== '').join('').replace(/\n$/, '')
        return { data: { diffs }, text: text === '' ? [] : text }
      })
    }))
}

/** A file of the working tree, or a committed file (even if deleted since). */
async function looksLikeFile (repo: Repository, cwd: string, arg: string): Promise<boolean> {
  if (await stat(resolve(cwd, arg)).then(s => s.isFile(), () => false)) return true
  const rel = relative(repo.root, resolve(cwd, arg)).split(sep).join('/')
  return await repo.head(rel).then(head => head != null, () => false)
}
