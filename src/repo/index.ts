/**
 * The local protocol repository: each file versioned on its own, every version and content
 * addressed by its CID, in a `level` database under `<dir>/.paip-repo/`.
 */
export { initRepository, openRepository } from './repository.js'
export type { Repository } from './repository.js'
export { findRepositoryRoot, isRepoPath } from './paths.js'
export { gitAuthor } from './author.js'
export { formatRepositoryStatus, formatVersion, formatLog, shortId } from './format.js'
export { repositoryStatus } from './summary.js'
export { encodeVersion, decodeVersion } from './records.js'
export type { VersionRecord, Version } from './records.js'
export type { Resolved } from './history.js'
export type { VersionBundle } from './exchange.js'
export * from './errors.js'
export * from './types.js'
export { REPO_DIR } from './constants.js'
