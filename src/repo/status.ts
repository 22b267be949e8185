import { readFile } from 'node:fs/promises'
import { RepositoryCorruptError } from './errors.js'
import { readVersions } from './history.js'
import { toAbsolute, walkProtocolFiles } from './paths.js'
import { cidOf } from './store.js'
import type { RepoContext } from './context.js'
import type { AbortOptions, RepositoryStatus } from './types.js'

/** The CID of a working-tree file's bytes, or undefined when it is missing. */
export async function workingCid (ctx: RepoContext, path: string): Promise<string | undefined> {
  try {
    return cidOf(new Uint8Array(await readFile(toAbsolute(ctx.root, path))))
  } catch (err: any) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return undefined
    throw err
  }
}

/** The head content CID of every committed path. */
export async function headContents (ctx: RepoContext): Promise<Map<string, string>> {
  const heads = await ctx.store.entries(ctx.store.heads)
  const versions = await readVersions(ctx.store, heads.map(([, cid]) => cid))
  return new Map(versions.map((version, i) => {
    if (version.path !== heads[i][0]) throw new RepositoryCorruptError(`head of ${heads[i][0]} names a version of ${version.path}`, { path: heads[i][0] })
    return [version.path, version.content]
  }))
}

/** What is staged, changed, missing and new in the working tree. */
export async function status (ctx: RepoContext, options: AbortOptions = {}): Promise<RepositoryStatus> {
  const { store } = ctx
  const heads = await headContents(ctx)
  const staged = new Map(await store.entries(store.staged))
  const result: RepositoryStatus = { root: ctx.root, staged: [], modified: [], deleted: [], untracked: [] }

  for (const [path, entry] of staged) {
    result.staged.push({ path, change: heads.has(path) ? 'modified' : 'new', content: entry.content })
  }
  const tracked = new Set([...heads.keys(), ...staged.keys()])
  for (const path of [...tracked].sort()) {
    options.signal?.throwIfAborted()
    const current = await workingCid(ctx, path)
    if (current == null) {
      result.deleted.push(path)
      continue
    }
    const expected = staged.get(path)?.content ?? heads.get(path)
    if (current !== expected) result.modified.push(path)
  }
  for (const path of await walkProtocolFiles(ctx.root, '', options.signal)) {
    if (!tracked.has(path)) result.untracked.push(path)
  }
  return result
}
