import { repoOptions, withRepository, workDir } from '../repo/shared.js'
import { InvalidArgumentError } from '../../../errors.js'
import { marketClient } from './store.js'
import type { RepoCommandOptions } from '../repo/shared.js'
import type { ApiClient } from '../../../api/client.js'
import type { CommandContext } from '../../context.js'
import type { Action } from '../../program.js'
import type { Command } from 'commander'

interface PullAnswer {
  publisher?: string
  name: string
  file: string
  selected: string
  head: string
  versions: Array<{ cid: string, seq: number }>
  records: Array<{ cid: string, bytes: string }>
  contents: Array<{ cid: string, bytes: string }>
}

const blocks = (list: Array<{ cid: string, bytes: string }>): Array<{ cid: string, bytes: Uint8Array }> =>
  list.map(b => ({ cid: String(b.cid), bytes: new Uint8Array(Buffer.from(String(b.bytes), 'base64')) }))

/** Asks a node to pull `ref` and imports its answer into the local repository, then checks the file out. */
export async function pullInto (ctx: CommandContext, client: ApiClient, ref: string, options: RepoCommandOptions & { version?: string, force?: boolean }): Promise<{ answer: PullAnswer, updated: boolean, diverged: boolean }> {
  const answer = await client.get<PullAnswer>('/api/v1/marketplace/pull', { query: { ref, version: options.version }, signal: ctx.signal })
  if (!Array.isArray(answer?.records) || !Array.isArray(answer?.contents) || typeof answer.file !== 'string') throw new InvalidArgumentError('the node answered the pull with something unexpected')
  return await withRepository(ctx, options, async repo => {
    const result = await repo.importVersions(blocks(answer.records), blocks(answer.contents), { signal: ctx.signal })
    const diverged = result.diverged.some(d => d.path === answer.file)
    if (!diverged) await repo.checkout(answer.selected, { paths: [answer.file], cwd: repo.root, force: options.force === true, signal: ctx.signal })
    return { answer, updated: result.updated[answer.file] != null, diverged }
  })
}

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
        const { updateSubmodules } = await import('./submodule.js')
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
