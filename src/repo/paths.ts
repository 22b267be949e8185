import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { MAX_PATH_CHARS, PROTOCOL_EXTENSIONS, REPO_DIR, SKIPPED_DIRS } from './constants.js'
import { PathNotFoundError, PathOutsideRepositoryError, RepositoryNotFoundError } from './errors.js'

/** Walks up from `start` to the first directory holding a repository's metadata folder. */
export async function findRepositoryRoot (start: string): Promise<string> {
  let dir = resolve(start)
  for (;;) {
    const meta = await stat(join(dir, REPO_DIR)).catch(() => undefined)
    if (meta?.isDirectory() === true) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new RepositoryNotFoundError(start)
    dir = parent
  }
}

/** True when `path` is a well-formed repository-relative path (as stored and as imported). */
export function isRepoPath (path: unknown): path is string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_CHARS) return false
  if (path.includes('\\') || path.includes('\0') || path.startsWith('/')) return false
  const parts = path.split('/')
  if (parts.some(p => p === '' || p === '.' || p === '..')) return false
  return parts[0] !== REPO_DIR
}

/**
 * The repository-relative path of `arg` (taken relative to `cwd`), refusing anything that
 * leads outside `root` (`..`, other absolute paths) or into the metadata folder. `root` is a
 * real path (no symlinks). Returns '' for the root itself.
 */
export function toRepoPath (root: string, cwd: string, arg: string): string {
  const abs = resolve(cwd, arg)
  const rel = relative(root, abs)
  if (rel === '') return ''
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new PathOutsideRepositoryError(arg)
  const path = rel.split(sep).join('/')
  if (path === REPO_DIR || path.startsWith(`${REPO_DIR}/`)) throw new PathOutsideRepositoryError(arg, 'is inside the repository\'s metadata folder')
  if (!isRepoPath(path)) throw new PathOutsideRepositoryError(arg, 'is not a valid repository path')
  return path
}

/** The absolute path of a repository path. */
export function toAbsolute (root: string, path: string): string {
  return join(root, ...path.split('/'))
}

/** True when `path` is `prefix` itself or lies under the directory `prefix` ('' is the root). */
export function isUnder (path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
}

/** Refuses a file whose real location (after symlinks) is outside `root`. */
export async function assertInside (root: string, abs: string, shown: string): Promise<void> {
  let real: string
  try {
    real = await realpath(abs)
  } catch (err: any) {
    if (err.code === 'ENOENT') throw new PathNotFoundError(shown)
    throw err
  }
  const rel = relative(root, real)
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new PathOutsideRepositoryError(shown, 'resolves (through a symlink) outside the repository')
}

/** Refuses to write `abs` when its deepest existing parent resolves outside `root`. */
export async function assertWritableInside (root: string, abs: string, shown: string): Promise<void> {
  let dir = dirname(abs)
  for (;;) {
    const exists = await lstat(dir).then(() => true, () => false)
    if (exists) break
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  await assertInside(root, dir, shown)
  const link = await lstat(abs).catch(() => undefined)
  if (link?.isSymbolicLink() === true) await assertInside(root, abs, shown)
}

function isProtocolName (name: string): boolean {
  return PROTOCOL_EXTENSIONS.some(ext => name.toLowerCase().endsWith(ext))
}

/**
 * The protocol files (`*.yaml`, `*.yml`) under `dir` (a repository path, '' for the root),
 * skipping hidden folders, `node_modules`, symlinked folders and nested repositories; symlinked files are kept
 * only when they resolve inside the repository. Sorted.
 */
export async function walkProtocolFiles (root: string, dir: string, signal?: AbortSignal): Promise<string[]> {
  const found: string[] = []
  const visit = async (rel: string): Promise<void> => {
    signal?.throwIfAborted()
    const entries = await readdir(rel === '' ? root : toAbsolute(root, rel), { withFileTypes: true })
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`
      if (entry.isDirectory()) {
        // another repository inside this one keeps its own files
        const nested = await stat(join(toAbsolute(root, path), REPO_DIR)).then(() => true, () => false)
        if (!SKIPPED_DIRS.includes(entry.name) && !nested) await visit(path)
      } else if (isProtocolName(entry.name) && isRepoPath(path)) {
        if (entry.isFile()) {
          found.push(path)
        } else if (entry.isSymbolicLink()) {
          const ok = await assertInside(root, toAbsolute(root, path), path).then(() => true, () => false)
          const target = ok ? await stat(toAbsolute(root, path)).catch(() => undefined) : undefined
          if (target?.isFile() === true) found.push(path)
        }
      }
    }
  }
  await visit(dir)
  return found.sort()
}
