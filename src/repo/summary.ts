import { RepositoryNotFoundError } from './errors.js'
import { findRepositoryRoot } from './paths.js'
import { openRepository } from './repository.js'
import type { OpenRepositoryOptions, RepositoryStatus } from './types.js'

/**
 * The status of the repository holding `dir` (searched upwards), or undefined when `dir` is in
 * no repository. Opens and closes it (so it may throw `RepositoryBusyError`).
 */
export async function repositoryStatus (dir: string, options: OpenRepositoryOptions = {}): Promise<RepositoryStatus | undefined> {
  let root: string
  try {
    root = await findRepositoryRoot(dir)
  } catch (err) {
    if (err instanceof RepositoryNotFoundError) return undefined
    throw err
  }
  const repo = await openRepository(root, options)
  try {
    return await repo.status({ signal: options.signal })
  } finally {
    await repo.close()
  }
}
