import { createTwoFilesPatch } from 'diff'
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError } from '../errors.js'
import { headOf, readVersion, resolveRef } from './history.js'
import { toAbsolute, toRepoPath } from './paths.js'
import { headContents, workingCid } from './status.js'
import type { RepoContext } from './context.js'
import type { Version } from './records.js'
import type { DiffOptions, FileDiff } from './types.js'

interface Side { label: string, text: string }

/**
 * Unified diffs. No path: every committed file whose working copy changed, against its head.
 * A path: that file's working copy against its head, or against `from`. `from` alone (no
 * path): that version against its parent. `from` and `to`: two versions of one file.
 */
export async function diff (ctx: RepoContext, options: DiffOptions = {}): Promise<FileDiff[]> {
  const { store } = ctx
  const context = options.context ?? 3
  const path = options.path == null ? undefined : toRepoPath(ctx.root, options.cwd ?? ctx.root, options.path)
  if (path === '') throw new InvalidArgumentError('diff takes a file, not the repository root')

  if (options.from != null && options.to != null) {
    const from = await versionRef(ctx, options.from, path)
    const to = await versionRef(ctx, options.to, path ?? from.path)
    return [await patch(from.path, await side(ctx, from), await side(ctx, to), context)]
  }
  if (options.from != null && path == null) {
    const to = await versionRef(ctx, options.from, undefined)
    const from = to.parent == null ? { label: 'empty', text: '' } : await side(ctx, await readVersion(store, to.parent))
    return [await patch(to.path, from, await side(ctx, to), context)]
  }
  if (path != null) {
    const base = options.from != null ? await versionRef(ctx, options.from, path) : await headOf(store, path)
    const left = base == null ? { label: 'empty', text: '' } : await side(ctx, base)
    return [await patch(path, left, await working(ctx, path), context)]
  }
  const diffs: FileDiff[] = []
  for (const [file, content] of await headContents(ctx)) {
    options.signal?.throwIfAborted()
    const current = await workingCid(ctx, file)
    if (current === content) continue
    const head = await headOf(store, file)
    if (head == null) continue
    diffs.push(await patch(file, await side(ctx, head), await working(ctx, file), context))
  }
  return diffs
}

async function versionRef (ctx: RepoContext, ref: string, path: string | undefined): Promise<Version> {
  const resolved = await resolveRef(ctx.store, ref)
  if (resolved.kind === 'version') {
    if (path != null && resolved.version.path !== path) throw new InvalidArgumentError(`version ${ref} is of ${resolved.version.path}, not ${path}`)
    return resolved.version
  }
  if (path == null) throw new InvalidArgumentError(`${ref} names several files: give one`)
  const version = resolved.versions.get(path)
  if (version == null) throw new InvalidArgumentError(`${ref} has no version of ${path}`)
  return version
}

async function side (ctx: RepoContext, version: Version): Promise<Side> {
  const bytes = await ctx.store.getObject(version.content)
  return { label: version.cid, text: new TextDecoder().decode(bytes) }
}

async function working (ctx: RepoContext, path: string): Promise<Side> {
  try {
    return { label: 'working tree', text: await readFile(toAbsolute(ctx.root, path), 'utf8') }
  } catch (err: any) {
    if (err.code === 'ENOENT') return { label: 'deleted', text: '' }
    throw err
  }
}

async function patch (path: string, from: Side, to: Side, context: number): Promise<FileDiff> {
  const same = from.text === to.text
  const text = same ? '' : createTwoFilesPatch(`a/${path}`, `b/${path}`, from.text, to.text, from.label, to.label, { context })
  return { path, from: from.label, to: to.label, patch: text }
}
