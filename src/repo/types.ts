import type { Problem } from '../protocol/index.js'
import type { Version } from './records.js'

export interface AbortOptions {
  signal?: AbortSignal
}

export interface InitRepositoryOptions extends OpenRepositoryOptions {}

export interface OpenRepositoryOptions {
  /** Author of commits and tags when none is given per call (overrides the repository's config). */
  author?: string
  /** Author when neither `author` nor the repository's config names one (default: the OS user name). */
  defaultAuthor?: string
  /** How long to wait for a busy repository (ms; default 0: fail at once with "busy"). */
  lockWait?: number
  /** Largest file `add` accepts (default 1 MiB). */
  maxFileBytes?: number
  /** The clock (tests). */
  now?: () => Date
  signal?: AbortSignal
}

export interface AddResult {
  /** Files staged by this call. */
  staged: Array<{ path: string, content: string, size: number, change: 'new' | 'modified' }>
  /** Files identical to their last committed version (not staged, and unstaged if they were). */
  unchanged: string[]
  /** Validator warnings of the files staged. */
  warnings: Array<{ path: string, warnings: Problem[] }>
}

export interface RepositoryStatus {
  root: string
  /** Staged for the next commit. */
  staged: Array<{ path: string, change: 'new' | 'modified', content: string }>
  /** Committed files whose working copy differs from what is committed or staged. */
  modified: string[]
  /** Committed files missing from the working tree. */
  deleted: string[]
  /** Protocol files (`*.yaml`, `*.yml`) neither committed nor staged. */
  untracked: string[]
}

export interface CommitOptions extends AbortOptions {
  /** Commit only staged files at or under these paths (relative to `cwd`); default all. */
  paths?: string[]
  cwd?: string
  author?: string
}

export interface LogOptions extends AbortOptions {
  /** At most this many versions (newest first). */
  limit?: number
}

export interface ShowResult {
  version: Version
  content: Uint8Array
}

export interface DiffOptions extends AbortOptions {
  /** One file (relative to `cwd`), or every changed file when absent. */
  path?: string
  /** Compare with this version (a ref) instead of the committed head; with `to`, two versions. */
  from?: string
  to?: string
  cwd?: string
  /** Lines of context (default 3). */
  context?: number
}

export interface FileDiff {
  path: string
  /** What the left side is: a version CID, or 'empty'. */
  from: string
  /** What the right side is: a version CID, or 'working tree'. */
  to: string
  /** A unified diff ('' when the same). */
  patch: string
}

export interface CheckoutOptions extends AbortOptions {
  /** Restore only these files or directories (relative to `cwd`). */
  paths?: string[]
  cwd?: string
  /** Overwrite changes that are neither committed nor staged. */
  force?: boolean
}

export interface CheckoutResult {
  restored: Array<{ path: string, version: string, content: string }>
}

export interface Tag {
  name: string
  versions: Record<string, string>
  time: string
  author: string
}

export interface TagOptions {
  /** Move a tag that exists. */
  force?: boolean
  author?: string
}

/** A block received from elsewhere, to verify against its CID. */
export interface Block {
  cid: string
  bytes: Uint8Array
}

export interface ImportOptions extends AbortOptions {
  /** Validate every imported content as a protocol (default true). */
  validate?: boolean
}

export interface ImportResult {
  /** Version CIDs stored (new to this repository). */
  imported: string[]
  /** Heads moved forward: path → new head version. */
  updated: Record<string, string>
  /** Paths whose local head is not an ancestor of the imported versions (heads left alone). */
  diverged: Array<{ path: string, local: string, remote: string }>
}

export interface FileHead {
  path: string
  head: Version
}
