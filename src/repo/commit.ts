import { InvalidArgumentError } from '../errors.js'
import { MAX_MESSAGE_CHARS } from './constants.js'
import { NothingStagedError, TagExistsError } from './errors.js'
import { headsOf, historyKey, resolveRef } from './history.js'
import { isUnder, toRepoPath } from './paths.js'
import { encodeVersion } from './records.js'
import type { RepoContext } from './context.js'
import type { Version } from './records.js'
import type { Op } from './store.js'
import type { CommitOptions, Tag, TagOptions } from './types.js'

/**
 * Makes a new version of every staged file (or of those at or under `paths`), each chained
 * to its file's previous version, in one atomic write: a crash leaves all or none.
 */
export async function commit (ctx: RepoContext, message: string, options: CommitOptions = {}): Promise<Version[]> {
  if (typeof message !== 'string' || message.trim() === '') throw new InvalidArgumentError('a commit message is required (-m <message>)')
  if (message.length > MAX_MESSAGE_CHARS) throw new InvalidArgumentError(`the commit message is over ${MAX_MESSAGE_CHARS} characters`)
  const { store } = ctx
  const prefixes = (options.paths ?? []).map(p => toRepoPath(ctx.root, options.cwd ?? ctx.root, p))
  const staged = (await store.entries(store.staged))
    .filter(([path]) => prefixes.length === 0 || prefixes.some(prefix => isUnder(path, prefix)))
  if (staged.length === 0) throw new NothingStagedError(options.paths)

  // the staged contents must be there, intact, before any version points at them
  await store.getObjects(staged.map(([, entry]) => entry.content))
  const parents = await headsOf(store, staged.map(([path]) => path))
  const author = options.author ?? ctx.author
  const time = ctx.now().toISOString()
  const ops: Op[] = []
  const versions: Version[] = []
  for (let i = 0; i < staged.length; i++) {
    options.signal?.throwIfAborted()
    const [path, entry] = staged[i]
    const parent = parents[i]
    const record = { path, content: entry.content, size: entry.size, parent: parent?.cid ?? null, seq: (parent?.seq ?? 0) + 1, author, time, message }
    const { cid, bytes } = encodeVersion(record)
    ops.push(
      { type: 'put', sublevel: store.objects, key: cid, value: bytes },
      { type: 'put', sublevel: store.versions, key: cid, value: path },
      { type: 'put', sublevel: store.heads, key: path, value: cid },
      { type: 'put', sublevel: store.history, key: historyKey({ path, seq: record.seq, cid }), value: '' },
      { type: 'del', sublevel: store.staged, key: path }
    )
    versions.push({ cid, ...record })
  }
  await store.write(ops)
  return versions
}

const TAG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/**
 * Names a set of versions: the one `ref` resolves to (a version, `file@N`, another tag), or
 * every file's head when `ref` is absent.
 */
export async function tag (ctx: RepoContext, name: string, ref: string | undefined, options: TagOptions = {}): Promise<Tag> {
  if (!TAG_NAME.test(name) || name === 'HEAD') throw new InvalidArgumentError(`bad tag name ${JSON.stringify(name)} (letters, digits, '.', '_', '-'; up to 100)`)
  const { store } = ctx
  if (options.force !== true && await store.get(store.tags, name) != null) throw new TagExistsError(name)
  const resolved = await resolveRef(store, ref ?? 'HEAD')
  const versions: Record<string, string> = {}
  if (resolved.kind === 'version') {
    versions[resolved.version.path] = resolved.version.cid
  } else {
    for (const [path, version] of [...resolved.versions].sort(([a], [b]) => a.localeCompare(b))) versions[path] = version.cid
  }
  if (Object.keys(versions).length === 0) throw new InvalidArgumentError('nothing is committed yet: there is nothing to tag')
  const entry = { versions, time: ctx.now().toISOString(), author: options.author ?? ctx.author }
  await store.write([{ type: 'put', sublevel: store.tags, key: name, value: entry }])
  return { name, ...entry }
}

/** Every tag, by name. */
export async function listTags (ctx: RepoContext): Promise<Tag[]> {
  return (await ctx.store.entries(ctx.store.tags)).map(([name, entry]) => ({ name, ...entry }))
}
