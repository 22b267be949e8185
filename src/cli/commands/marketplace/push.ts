import { repoOptions, withRepository } from '../repo/shared.js'
import { isUnder } from '../../../repo/paths.js'
import { NotFoundError } from '../../../errors.js'
import { marketClient } from './store.js'
import type { RepoCommandOptions } from '../repo/shared.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'
import { relative, resolve } from 'node:path'

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

export function registerPush (program: Command, action: Action): void {
  repoOptions(program.command('push')
    .argument('[paths...]', 'files or directories of the repository (default: every committed file)')
    .option('--to, --marketplace <name>', 'a marketplace added with `paip marketplace add` (default: the local node)')
    .description('publish the committed versions of protocol files, with their history, to a marketplace'))
    .addHelpText('after', '\nExamples:\n  $ paip push mnist.yaml --to lab\n  $ paip push')
    .action(action(async (ctx, paths: string[], options: RepoCommandOptions & { marketplace?: string }) => {
      const client = await marketClient(ctx, options.marketplace, true)
      return await withRepository(ctx, options, async (repo, cwd) => {
        const prefixes = paths.map(p => relative(repo.root, resolve(cwd, p)).split('\\').join('/'))
        const files = (await repo.files({ signal: ctx.signal })).filter(f => prefixes.length === 0 || prefixes.some(p => isUnder(f.path, p === '.' ? '' : p)))
        if (files.length === 0) throw new NotFoundError(paths.length === 0 ? 'nothing committed to push' : `no committed files under ${paths.join(', ')}`)
        const pushed: unknown[] = []
        for (const file of files) {
          const bundle = await repo.exportVersions(file.path, { signal: ctx.signal })
          const body = {
            bundle: {
              head: bundle.head,
              records: bundle.records.map(b => ({ cid: b.cid, bytes: b64(b.bytes) })),
              contents: bundle.contents.map(b => ({ cid: b.cid, bytes: b64(b.bytes) }))
            }
          }
          const path = file.path.split('/').map(encodeURIComponent).join('/')
          pushed.push(await client.put(`/repo/protocol/${path}`, body, { signal: ctx.signal }))
        }
        return {
          data: { marketplace: options.marketplace ?? client.url, pushed },
          text: (pushed as any[]).map(p => `${p.changed === true ? 'published' : 'up to date'} ${p.publisher}/${p.name} ${p.file} v${p.versions} (${p.version})`)
        }
      })
    }))
}
