import { mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { InvalidArgumentError } from '../errors.js'
import { add } from './add.js'
import { checkout } from './checkout.js'
import { commit, listTags, tag } from './commit.js'
import { CONFIG_FILE, DB_DIR, FORMAT_VERSION, LOCK_FILE, LOCK_RETRY_MS, LOCK_WAIT_MS, MAX_FILE_BYTES, REPO_DIR } from './constants.js'
import { diff } from './diff.js'
import { RepositoryCorruptError, RepositoryExistsError, RepositoryNotFoundError, UnknownVersionError } from './errors.js'
import { exportVersions, importVersions } from './exchange.js'
import { headOf, historyOf, readVersion, readVersions, resolveRef } from './history.js'
import { lockRepository } from './lock.js'
import { toRepoPath } from './paths.js'
import { status } from './status.js'
import { RepoStore } from './store.js'
import type { RepoContext } from './context.js'
import type { VersionBundle } from './exchange.js'
import type { RepoLock } from './lock.js'
import type { Resolved } from './history.js'
import type { Version } from './records.js'
import type { AbortOptions, AddResult, Block, CheckoutOptions, CheckoutResult, CommitOptions, DiffOptions, FileDiff, FileHead, ImportOptions, ImportResult, InitRepositoryOptions, LogOptions, OpenRepositoryOptions, RepositoryStatus, ShowResult, Tag, TagOptions } from './types.js'

/**
 * A local protocol repository, held open (and locked) by this process until `close()`.
 * Paths given to methods are relative to `cwd` (default: the repository's directory).
 */
export interface Repository {
  /** The repository's directory (a real path). */
  readonly root: string
  add: (paths: string[], options?: AbortOptions & { cwd?: string }) => Promise<AddResult>
  status: (options?: AbortOptions) => Promise<RepositoryStatus>
  commit: (message: string, options?: CommitOptions) => Promise<Version[]>
  /** One file's versions (newest first), or every file's when `path` is absent (newest first). */
  log: (path?: string, options?: LogOptions & { cwd?: string }) => Promise<Version[]>
  show: (ref: string, options?: AbortOptions) => Promise<ShowResult>
  diff: (options?: DiffOptions) => Promise<FileDiff[]>
  checkout: (ref: string, options?: CheckoutOptions) => Promise<CheckoutResult>
  tag: (name: string, ref?: string, options?: TagOptions) => Promise<Tag>
  tags: () => Promise<Tag[]>
  /** What a reference names (a version, `file@N`, a tag, `HEAD`). */
  resolve: (ref: string) => Promise<Resolved>
  /** One version's record, verified. */
  readVersion: (cid: string) => Promise<Version>
  /** A content's bytes, verified. */
  readContent: (cid: string) => Promise<Uint8Array>
  /** The head version of a repository path, or undefined. */
  head: (path: string) => Promise<Version | undefined>
  /** Every committed file with its head. */
  files: (options?: AbortOptions) => Promise<FileHead[]>
  /** The blocks of a file's history (from its head, or from a version), down to `since`. */
  exportVersions: (pathOrRef: string, options?: AbortOptions & { since?: string }) => Promise<VersionBundle>
  /** Stores versions received from elsewhere, verified (see `importVersions` in exchange.ts). */
  importVersions: (records: Block[], contents: Block[], options?: ImportOptions) => Promise<ImportResult>
  close: () => Promise<void>
}

/** Creates a repository in `dir` (made if missing) and opens it. */
export async function initRepository (dir: string, options: InitRepositoryOptions = {}): Promise<Repository> {
  const root = resolve(dir)
  await mkdir(root, { recursive: true })
  const meta = join(root, REPO_DIR)
  if (await stat(meta).then(() => true, () => false)) throw new RepositoryExistsError(root)
  try {
    await mkdir(meta)
  } catch (err: any) {
    if (err.code === 'EEXIST') throw new RepositoryExistsError(root)
    throw err
  }
  try {
    await writeFile(join(meta, CONFIG_FILE), JSON.stringify({ format: FORMAT_VERSION }, null, 2) + '\n')
    const store = await RepoStore.open(join(meta, DB_DIR), root, true)
    await store.close()
  } catch (err) {
    await rm(meta, { recursive: true, force: true })
    throw err
  }
  return await openRepository(root, options)
}

/** Opens the repository whose directory is `dir` (not searched upwards: see `findRepositoryRoot`). */
export async function openRepository (dir: string, options: OpenRepositoryOptions = {}): Promise<Repository> {
  const root = await realpath(resolve(dir)).catch(() => { throw new RepositoryNotFoundError(dir) })
  const meta = join(root, REPO_DIR)
  const config = await readConfig(meta, root)
  const lock = await lockRepository(join(meta, LOCK_FILE), root, { wait: options.lockWait ?? LOCK_WAIT_MS, retry: LOCK_RETRY_MS, signal: options.signal })
  let store: RepoStore
  try {
    store = await RepoStore.open(join(meta, DB_DIR), root, false)
  } catch (err) {
    await lock.release()
    throw err
  }
  const ctx: RepoContext = {
    root,
    store,
    author: options.author ?? config.author ?? options.defaultAuthor ?? defaultAuthor(),
    maxFileBytes: options.maxFileBytes ?? MAX_FILE_BYTES,
    now: options.now ?? (() => new Date())
  }
  return createRepository(ctx, lock)
}

/** The repository's settings file: `{ format, author? }`. */
async function readConfig (meta: string, root: string): Promise<{ format: number, author?: string }> {
  let text: string
  try {
    text = await readFile(join(meta, CONFIG_FILE), 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new RepositoryNotFoundError(root)
    throw err
  }
  let config: any
  try {
    config = JSON.parse(text)
  } catch {
    throw new RepositoryCorruptError(`${CONFIG_FILE} is not JSON`, { root })
  }
  if (config?.format !== FORMAT_VERSION) throw new RepositoryCorruptError(`unsupported format ${String(config?.format)} (this paip reads ${FORMAT_VERSION})`, { root })
  return { format: config.format, author: typeof config.author === 'string' ? config.author : undefined }
}

function defaultAuthor (): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

function createRepository (ctx: RepoContext, lock: RepoLock): Repository {
  const { store, root } = ctx
  // one operation at a time per handle: each sees the last one's writes
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false
  const serial = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error('the repository is closed')
    const next = queue.then(fn, fn)
    queue = next.catch(() => {})
    return await next
  }
  const pathOf = (p: string, cwd?: string): string => toRepoPath(root, cwd ?? root, p)

  const log = async (path?: string, options: LogOptions & { cwd?: string } = {}): Promise<Version[]> => {
    const limit = options.limit ?? Infinity
    const heads = path == null ? (await store.entries(store.heads)).map(([, cid]) => cid) : [await store.get(store.heads, pathOf(path, options.cwd))]
    if (path != null && heads[0] == null) throw new UnknownVersionError(path)
    const versions: Version[] = []
    for (const head of await readVersions(store, heads as string[])) {
      versions.push(...await historyOf(store, head, { limit: path != null ? limit : undefined, signal: options.signal }))
    }
    if (path != null) return versions
    versions.sort((a, b) => b.time.localeCompare(a.time) || a.path.localeCompare(b.path) || b.seq - a.seq)
    return versions.slice(0, limit)
  }

  return {
    root,
    add: async (paths, options = {}) => await serial(async () => await add(ctx, paths, options.cwd ?? root, options)),
    status: async (options) => await serial(async () => await status(ctx, options)),
    commit: async (message, options) => await serial(async () => await commit(ctx, message, options)),
    log: async (path, options) => await serial(async () => await log(path, options)),
    show: async (ref, options = {}) => await serial(async () => {
      const resolved = await resolveRef(store, ref, options.signal)
      if (resolved.kind !== 'version') {
        if (resolved.versions.size !== 1) throw new InvalidArgumentError(`${ref} names ${resolved.versions.size} versions: show one of them (<file>@<n> or a version CID)`)
        return { version: [...resolved.versions.values()][0], content: await store.getObject([...resolved.versions.values()][0].content) }
      }
      return { version: resolved.version, content: await store.getObject(resolved.version.content) }
    }),
    diff: async (options) => await serial(async () => await diff(ctx, options)),
    checkout: async (ref, options) => await serial(async () => await checkout(ctx, ref, options)),
    tag: async (name, ref, options) => await serial(async () => await tag(ctx, name, ref, options)),
    tags: async () => await serial(async () => await listTags(ctx)),
    resolve: async (ref) => await serial(async () => await resolveRef(store, ref)),
    readVersion: async (cid) => await serial(async () => await readVersion(store, cid)),
    readContent: async (cid) => await serial(async () => await store.getObject(cid)),
    head: async (path) => await serial(async () => await headOf(store, path)),
    files: async (options = {}) => await serial(async () => {
      options.signal?.throwIfAborted()
      const heads = await store.entries(store.heads)
      const versions = await readVersions(store, heads.map(([, cid]) => cid))
      return heads.map(([path], i) => {
        if (versions[i].path !== path) throw new RepositoryCorruptError(`head of ${path} names a version of ${versions[i].path}`, { path })
        return { path, head: versions[i] }
      })
    }),
    exportVersions: async (pathOrRef, options = {}) => await serial(async () => {
      const head = await store.get(store.heads, pathOrRef) != null ? await headOf(store, pathOrRef) : undefined
      const start = head ?? await resolveRef(store, pathOrRef).then(r => {
        if (r.kind === 'version') return r.version
        throw new UnknownVersionError(`${pathOrRef} (names several files: export one)`)
      })
      return await exportVersions(ctx, start as Version, options.since, options.signal)
    }),
    importVersions: async (records, contents, options) => await serial(async () => await importVersions(ctx, records, contents, options)),
    close: async () => {
      if (closed) return
      await queue
      closed = true
      try {
        await store.close()
      } finally {
        await lock.release()
      }
    }
  }
}
