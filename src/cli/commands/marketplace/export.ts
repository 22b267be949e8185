import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { withRepository, repoOptions } from '../repo/shared.js'
import { checkGitUrl, git, gitText } from './git.js'
import type { RepoCommandOptions } from '../repo/shared.js'
import type { Version } from '../../../repo/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

const TRAILER = 'Paip-Version:'

/**
 * Exports every version of every protocol file of the paip repository to a git repository:
 * one commit per version, oldest first, with its message, author and time, and a
 * `Paip-Version: <cid>` trailer so exporting again adds only new versions. Then pushes.
 */
export function registerExport (program: Command, action: Action): void {
  repoOptions(program.command('export')
    .argument('<git-url>', 'a git repository (URL or path) to push to')
    .argument('[dir]', 'the paip repository (default: found from the current directory)')
    .option('--branch <name>', 'the branch to push', 'main')
    .description('export all protocol files with their history to a git repository'))
    .addHelpText('after', '\nExample:\n  $ paip export git@github.com:org/protocols.git')
    .action(action(async (ctx, url: string, dir: string | undefined, options: RepoCommandOptions & { branch: string }) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,100}$/.test(options.branch) || options.branch.includes('..')) throw new Error(`bad branch name ${options.branch}`)
      const temp = await mkdtemp(join(tmpdir(), 'paip-export-'))
      try {
        const clone = join(temp, 'clone')
        await git(['clone', '--quiet', '--', checkGitUrl(url), clone], { cwd: temp, signal: ctx.signal })
        const branchExists = (await gitText(['ls-remote', '--heads', 'origin', options.branch], { cwd: clone, signal: ctx.signal })).trim() !== ''
        if (branchExists) await git(['checkout', '--quiet', '-B', options.branch, `origin/${options.branch}`], { cwd: clone, signal: ctx.signal })
        else await git(['checkout', '--quiet', '--orphan', options.branch], { cwd: clone, signal: ctx.signal })
        const done = new Set<string>()
        if (branchExists) {
          for (const line of (await gitText(['log', '--format=%B'], { cwd: clone, signal: ctx.signal })).split('\n')) {
            if (line.startsWith(TRAILER)) done.add(line.slice(TRAILER.length).trim())
          }
        }
        const opts = { ...options, dir: dir ?? options.dir }
        const exported = await withRepository(ctx, opts, async repo => {
          const versions: Version[] = []
          for (const file of await repo.files({ signal: ctx.signal })) versions.push(...await repo.log(file.path, { signal: ctx.signal }))
          versions.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq)
          let count = 0
          for (const v of versions) {
            if (done.has(v.cid)) continue
            const target = join(clone, ...v.path.split('/'))
            await mkdir(dirname(target), { recursive: true })
            await writeFile(target, await repo.readContent(v.content))
            await git(['add', '--', v.path], { cwd: clone, signal: ctx.signal })
            const author = /<.+>/.test(v.author) ? v.author : `${v.author} <${v.author.replace(/[^A-Za-z0-9._-]/g, '') || 'paip'}@paip.invalid>`
            const message = `${v.message.trim() || `${v.path} v${v.seq}`}\n\n${TRAILER} ${v.cid}\n`
            await git(['-c', 'user.name=paip', '-c', 'user.email=paip@paip.invalid', 'commit', '--quiet', '--allow-empty', '--author', author, '-m', message],
              { cwd: clone, signal: ctx.signal, env: { GIT_AUTHOR_DATE: v.time, GIT_COMMITTER_DATE: v.time } })
            count++
          }
          return count
        })
        if (exported > 0) await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${options.branch}`], { cwd: clone, signal: ctx.signal })
        return { data: { url, branch: options.branch, commits: exported }, text: `exported ${exported} version(s) to ${url} (${options.branch})` }
      } finally {
        await rm(temp, { recursive: true, force: true })
      }
    }))
}
