import { repoOptions, workDir } from '../repo/shared.js'
import { pullInto } from './pulling.js'
import { marketClient } from './store.js'
import { updateSubmodules } from './submodule.js'
import type { RepoCommandOptions } from '../repo/shared.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerPull (program: Command, action: Action): void {
  repoOptions(program.command('pull')
    .argument('[ref]', 'publisher/user/name, publisher/name (that node\'s admin\'s, else the one user\'s who published it), user/name, a name (must be unambiguous), or a version CID; none: update every submodule')
    .option('--version <v>', 'a version number (1 = first) or version CID (default: the latest)')
    .option('--marketplace <name>', 'a marketplace added with `paip marketplace add` (default: the local node)')
    .option('-f, --force', 'overwrite local changes to the file', false)
    .description('fetch a published protocol with its history (every hash verified) into the local repository'))
    .addHelpText('after', '\nExamples:\n  $ paip pull 12D3KooW.../mnist\n  $ paip pull mnist --version 2')
    .action(action(async (ctx, ref: string | undefined, options: RepoCommandOptions & { version?: string, marketplace?: string, force: boolean }) => {
      if (ref == null) {
        const updated = await updateSubmodules(ctx, workDir(ctx, options))
        return {
          data: { submodules: updated },
          text: updated.map(u => `${u.path}: pulled ${u.pulled.length} protocol(s)${u.failed.length > 0 ? `, failed: ${u.failed.join(', ')}` : ''}`)
        }
      }
      const client = await marketClient(ctx, options.marketplace, true)
      const { answer, diverged } = await pullInto(ctx, client, ref, options)
      const seq = answer.versions.find(v => v.cid === answer.selected)?.seq
      return {
        data: { publisher: answer.publisher, name: answer.name, file: answer.file, version: answer.selected, seq, versions: answer.versions.length, diverged },
        text: diverged
          ? [`pulled ${answer.name} into the repository, but ${answer.file} has local versions the publisher does not: not checked out`]
          : [`pulled ${answer.publisher ?? ''}${answer.publisher == null ? '' : '/'}${answer.name} v${seq ?? '?'} into ${answer.file} (${answer.versions.length} versions)`]
      }
    }))
}
