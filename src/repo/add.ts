import { readFile, stat } from 'node:fs/promises'
import { validateProtocol } from '../protocol/index.js'
import { READ_CONCURRENCY } from './constants.js'
import { InvalidProtocolFilesError, PathNotFoundError } from './errors.js'
import { headsOf } from './history.js'
import { assertInside, toAbsolute, toRepoPath, walkProtocolFiles } from './paths.js'
import { cidOf } from './store.js'
import type { RepoContext } from './context.js'
import type { RefusedFile } from './errors.js'
import type { Op } from './store.js'
import type { AbortOptions, AddResult } from './types.js'

/**
 * Validates and stages files and directories (relative to `cwd`): all of them, or none when
 * any is refused (an `InvalidProtocolFilesError` listing every problem of every file).
 */
export async function add (ctx: RepoContext, args: string[], cwd: string, options: AbortOptions = {}): Promise<AddResult> {
  const paths = await expand(ctx, args, cwd, options.signal)
  const refused: RefusedFile[] = []
  const accepted: Array<{ path: string, bytes: Uint8Array }> = []
  const result: AddResult = { staged: [], unchanged: [], warnings: [] }

  for (let i = 0; i < paths.length; i += READ_CONCURRENCY) {
    options.signal?.throwIfAborted()
    const loaded = await Promise.all(paths.slice(i, i + READ_CONCURRENCY).map(async path => await load(ctx, path)))
    for (const { path, bytes, size } of loaded) {
      if (bytes == null) {
        refused.push({ path, errors: [{ path: '', message: `file is ${size} bytes, over the ${ctx.maxFileBytes}-byte limit`, rule: 'too-large' }] })
        continue
      }
      const validation = validateProtocol(bytes, { file: path, maxBytes: ctx.maxFileBytes })
      if (!validation.ok) {
        refused.push({ path, errors: validation.errors.map(e => ({ path: e.path, message: e.message, line: e.line, column: e.column, rule: e.rule })) })
        continue
      }
      if (validation.warnings.length > 0) result.warnings.push({ path, warnings: validation.warnings })
      accepted.push({ path, bytes })
    }
  }
  if (refused.length > 0) throw new InvalidProtocolFilesError(refused)

  const { store } = ctx
  const ops: Op[] = []
  const time = ctx.now().toISOString()
  const heads = await headsOf(store, accepted.map(a => a.path))
  const contents = accepted.map(a => cidOf(a.bytes))
  const stored = await store.hasObjects(contents)
  accepted.forEach(({ path, bytes }, i) => {
    const content = contents[i]
    const head = heads[i]
    if (head?.content === content) {
      result.unchanged.push(path)
      ops.push({ type: 'del', sublevel: store.staged, key: path })
      return
    }
    if (!stored[i]) ops.push({ type: 'put', sublevel: store.objects, key: content, value: bytes })
    ops.push({ type: 'put', sublevel: store.staged, key: path, value: { content, size: bytes.byteLength, time } })
    result.staged.push({ path, content, size: bytes.byteLength, change: head == null ? 'new' : 'modified' })
  })
  await store.write(ops)
  return result
}

/** A file's bytes, or only its size when it is over the cap (then it is not read). */
async function load (ctx: RepoContext, path: string): Promise<{ path: string, size: number, bytes?: Uint8Array }> {
  const abs = toAbsolute(ctx.root, path)
  const info = await stat(abs)
  if (info.size > ctx.maxFileBytes) return { path, size: info.size }
  const bytes = new Uint8Array(await readFile(abs))
  if (bytes.byteLength > ctx.maxFileBytes) return { path, size: bytes.byteLength }
  return { path, size: bytes.byteLength, bytes }
}

/** Each argument as repository paths: a file itself, a directory's protocol files. */
async function expand (ctx: RepoContext, args: string[], cwd: string, signal?: AbortSignal): Promise<string[]> {
  const paths = new Set<string>()
  for (const arg of args) {
    const path = toRepoPath(ctx.root, cwd, arg)
    const abs = path === '' ? ctx.root : toAbsolute(ctx.root, path)
    await assertInside(ctx.root, abs, arg)
    const info = await stat(abs).catch(() => undefined)
    if (info == null) throw new PathNotFoundError(arg)
    if (info.isDirectory()) {
      for (const file of await walkProtocolFiles(ctx.root, path, signal)) paths.add(file)
    } else if (info.isFile()) {
      if (path === '') throw new PathNotFoundError(arg)
      paths.add(path)
    } else {
      throw new PathNotFoundError(arg)
    }
  }
  return [...paths]
}
