import type { RepoStore } from './store.js'

/** What the repository's operations share. */
export interface RepoContext {
  /** The repository's directory (a real path). */
  root: string
  store: RepoStore
  author: string
  maxFileBytes: number
  now: () => Date
}
