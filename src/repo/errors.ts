import { PaipError } from '../errors.js'

/** No repository at (or above) the directory given. */
export class RepositoryNotFoundError extends PaipError {
  static name = 'RepositoryNotFoundError'
  name = 'RepositoryNotFoundError'
  constructor (dir: string) { super(`not a paip repository (or any parent up to /): ${dir}`, 'not-found', { dir }) }
}

/** `init` on a directory that already holds a repository. */
export class RepositoryExistsError extends PaipError {
  static name = 'RepositoryExistsError'
  name = 'RepositoryExistsError'
  constructor (dir: string) { super(`a paip repository exists already in ${dir}`, 'conflict', { dir }) }
}

/** Another process (or another handle in this one) has the repository open. */
export class RepositoryBusyError extends PaipError {
  static name = 'RepositoryBusyError'
  name = 'RepositoryBusyError'
  constructor (dir: string, pid?: number) {
    super(`repository is busy: ${dir} is in use by another paip process${pid != null ? ` (pid ${pid})` : ''}; try again when it is done`, 'busy', { dir, pid })
  }
}

/** Stored data failed verification (a hash mismatch, a missing object, an unreadable database). */
export class RepositoryCorruptError extends PaipError {
  static name = 'RepositoryCorruptError'
  name = 'RepositoryCorruptError'
  constructor (message: string, details?: unknown, options?: ErrorOptions) { super(`repository is corrupt: ${message}`, 'corrupt', details, options) }
}

/** A path that leads outside the repository (`..`, another absolute path, a symlink out). */
export class PathOutsideRepositoryError extends PaipError {
  static name = 'PathOutsideRepositoryError'
  name = 'PathOutsideRepositoryError'
  constructor (path: string, reason = 'is outside the repository') { super(`${path} ${reason}`, 'invalid-input', { path }) }
}

/** A named file or directory does not exist. */
export class PathNotFoundError extends PaipError {
  static name = 'PathNotFoundError'
  name = 'PathNotFoundError'
  constructor (path: string) { super(`no such file or directory: ${path}`, 'not-found', { path }) }
}

export interface RefusedFile {
  path: string
  errors: Array<{ path: string, message: string, line?: number, column?: number, rule?: string }>
}

/** `add` refused some files (invalid protocols, too large, unreadable): nothing was staged. */
export class InvalidProtocolFilesError extends PaipError {
  static name = 'InvalidProtocolFilesError'
  name = 'InvalidProtocolFilesError'
  readonly files: RefusedFile[]
  constructor (files: RefusedFile[]) {
    super(refusalMessage(files), 'invalid-input', { files })
    this.files = files
  }
}

function refusalMessage (files: RefusedFile[]): string {
  const lines = [`${files.length} file(s) refused, nothing was staged:`]
  for (const file of files) {
    for (const e of file.errors) {
      const where = e.line != null ? `${file.path}:${e.line}` : file.path
      lines.push(`  ${where}: ${e.path !== '' ? `${e.path}: ` : ''}${e.message}`)
    }
  }
  return lines.join('\n')
}

/** `commit` with nothing staged (for the paths named). */
export class NothingStagedError extends PaipError {
  static name = 'NothingStagedError'
  name = 'NothingStagedError'
  constructor (paths: string[] = []) {
    super(`nothing staged to commit${paths.length > 0 ? ` in ${paths.join(', ')}` : ''} (use "paip add <file>" first)`, 'conflict', { paths })
  }
}

/** A version reference (CID, prefix, tag, `file@N`) that names nothing. */
export class UnknownVersionError extends PaipError {
  static name = 'UnknownVersionError'
  name = 'UnknownVersionError'
  constructor (ref: string) { super(`unknown version: ${ref}`, 'not-found', { ref }) }
}

/** A version prefix that matches more than one version. */
export class AmbiguousVersionError extends PaipError {
  static name = 'AmbiguousVersionError'
  name = 'AmbiguousVersionError'
  constructor (ref: string, candidates: string[]) { super(`ambiguous version ${ref}: matches ${candidates.join(', ')}`, 'invalid-input', { ref, candidates }) }
}

/** A version of one file asked for with another file's path. */
export class VersionPathMismatchError extends PaipError {
  static name = 'VersionPathMismatchError'
  name = 'VersionPathMismatchError'
  constructor (ref: string, paths: string[]) { super(`version ${ref} has no file among ${paths.join(', ')}`, 'invalid-input', { ref, paths }) }
}

/** `checkout` would overwrite changes that are neither committed nor staged. */
export class UncommittedChangesError extends PaipError {
  static name = 'UncommittedChangesError'
  name = 'UncommittedChangesError'
  constructor (paths: string[]) { super(`uncommitted changes would be overwritten in ${paths.join(', ')} (commit them, or use --force)`, 'conflict', { paths }) }
}

/** `tag` with a name that is taken. */
export class TagExistsError extends PaipError {
  static name = 'TagExistsError'
  name = 'TagExistsError'
  constructor (tag: string) { super(`tag ${tag} exists already (use --force to move it)`, 'conflict', { tag }) }
}

/** Versions received from elsewhere failed verification (CID mismatch, broken chain, bad record). */
export class ImportVerificationError extends PaipError {
  static name = 'ImportVerificationError'
  name = 'ImportVerificationError'
  constructor (message: string, details?: unknown) { super(`import refused: ${message}`, 'corrupt', details) }
}
