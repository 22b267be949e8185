import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { initRepository, isRepoPath, openRepository } from '../../../repo/index.js'
import { validateProtocol } from '../../../protocol/index.js'
import { cidOfBytes } from '../../../storage/cid.js'
import { checkGitUrl, git, gitText } from './git.js'
import { InvalidArgumentError } from '../../../errors.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

/**
 * Imports every protocol file (`*.yaml`, `*.yml`) of a git repository's first-parent history
 * into a paip repository (created if missing): one paip commit per git commit that changed
 * protocol files, with its message and author. Files that are not valid protocols are skipped
 * and listed. Importing again adds only what changed since.
 */
export function registerImport (program: Command, action: Action): void {
  program.command('import')
    .argument('<git-url>', 'a git repository (URL or path)')
    .argument('[dir]', 'the paip repository (default: the current directory; created if missing)')
    .option('--branch <name>', 'the branch to import (default: the remote\'s HEAD, else main, else master)')
    .description('import all protocol files of a git repository, history as versions')
    .addHelpText('after', '\nExample:\n  $ paip import https://github.com/org/protocols.git experiments')
    .action(action(async (ctx, url: string, dir: string | undefined, options: { branch?: string }) => {
      const root = resolve(ctx.io.cwd, dir ?? '.')
      const temp = await mkdtemp(join(tmpdir(), 'paip-import-'))
      try {
        const clone = join(temp, 'clone')
        await git(['clone', '--quiet', '--no-checkout', '--', checkGitUrl(url), clone], { cwd: temp, signal: ctx.signal })
        const head = await startOf(clone, options.branch, ctx.signal)
        const commits = head == null ? [] : (await gitText(['rev-list', '--reverse', '--first-parent', head], { cwd: clone, signal: ctx.signal })).split('\n').filter(Boolean)
        const repo = await openRepository(root).catch(async () => await initRepository(root))
        const skipped = new Set<string>()
        let versions = 0
        let imported = 0
        // per path: the contents already in the repository, oldest first; git history that
        // replays them is skipped, so importing again adds only what is new
        const known = new Map<string, string[]>()
        const last = new Map<string, string>()
        try {
          for (const commit of commits) {
            const paths = (await gitText(['ls-tree', '-r', '--name-only', '-z', commit], { cwd: clone, signal: ctx.signal }))
              .split('\0').filter(p => /\.ya?ml$/.test(p) && isRepoPath(p))
            const changed: string[] = []
            for (const path of paths) {
              const bytes = new Uint8Array(await git(['show', `${commit}:${path}`], { cwd: clone, signal: ctx.signal }))
              const cid = cidOfBytes(bytes).toString()
              if (last.get(path) === cid) continue
              last.set(path, cid)
              if (!known.has(path)) known.set(path, (await repo.log(path).catch(() => [])).reverse().map(v => v.content))
              const expected = known.get(path) as string[]
              if (expected[0] === cid) { expected.shift(); continue }
              expected.length = 0
              if (!validateProtocol(bytes, { file: path }).ok) { skipped.add(path); continue }
              await mkdir(dirname(join(repo.root, path)), { recursive: true })
              await writeFile(join(repo.root, path), bytes)
              changed.push(path)
            }
            if (changed.length === 0) continue
            const [author, ...message] = (await gitText(['log', '-1', '--format=%an <%ae>%n%B', commit], { cwd: clone, signal: ctx.signal })).split('\n')
            await repo.add(changed, { cwd: repo.root, signal: ctx.signal })
            const text = message.filter(l => !l.startsWith('Paip-Version:')).join('\n').trim()
            const made = await repo.commit(text || `import ${commit.slice(0, 12)}`, { author, cwd: repo.root, signal: ctx.signal })
            versions += made.length
            imported++
          }
        } finally {
          await repo.close()
        }
        return {
          data: { repository: root, commits: imported, versions, skipped: [...skipped] },
          text: [`imported ${versions} version(s) from ${imported} commit(s) into ${root}`, ...[...skipped].map(p => `skipped ${p}: not a valid protocol`)]
        }
      } finally {
        await rm(temp, { recursive: true, force: true })
      }
    }))
}

/** The commit to import from: the branch asked for, else the clone's HEAD, else main or master. */
async function startOf (clone: string, branch: string | undefined, signal: AbortSignal): Promise<string | undefined> {
  const candidates = branch != null ? [`refs/remotes/origin/${branch}`] : ['HEAD', 'refs/remotes/origin/main', 'refs/remotes/origin/master']
  for (const ref of candidates) {
    const sha = (await gitText(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: clone, signal }).catch(() => '')).trim()
    if (sha !== '') return sha
  }
  if (branch != null) throw new InvalidArgumentError(`no branch ${branch} in the git repository`)
  return undefined
}
