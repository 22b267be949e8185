import { resolve } from 'node:path'
import { findRepositoryRoot, gitAuthor, openRepository } from '../../../repo/index.js'
import type { Repository } from '../../../repo/index.js'
import type { CommandContext } from '../../context.js'
import type { Command } from 'commander'

export interface RepoCommandOptions {
  /** `-C <dir>`: run as if started in `dir`. */
  dir?: string
}

/** Adds the options every repository command takes. */
export function repoOptions (command: Command): Command {
  return command.option('-C, --dir <dir>', 'run as if paip was started in <dir> (the repository is found from there upwards)')
}

/** The directory the command works from (`-C` or the process's cwd). */
export function workDir (ctx: CommandContext, options: RepoCommandOptions): string {
  return resolve(ctx.io.cwd, options.dir ?? '.')
}

/**
 * The author of commits and tags: `PAIP_AUTHOR`, else the repository's config (`author` in
 * `.paip-repo/config.json`), else git's `user.name <user.email>`, else the OS user.
 */
export function authorFrom (ctx: CommandContext): string | undefined {
  const author = ctx.io.env.PAIP_AUTHOR
  return author != null && author.trim() !== '' ? author.trim() : undefined
}

/** Finds the repository from the work directory upwards, opens it, runs `fn`, closes it. */
export async function withRepository<T> (ctx: CommandContext, options: RepoCommandOptions, fn: (repo: Repository, cwd: string) => Promise<T>): Promise<T> {
  const cwd = workDir(ctx, options)
  const root = await findRepositoryRoot(cwd)
  const repo = await openRepository(root, { author: authorFrom(ctx), defaultAuthor: await gitAuthor(ctx.io.env), signal: ctx.signal })
  try {
    return await fn(repo, cwd)
  } finally {
    await repo.close()
  }
}
