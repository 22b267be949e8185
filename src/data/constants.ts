/** Longest `data://` path (characters). */
export const MAX_PATH_LENGTH = 1024
/** Most entries one listing answers. */
export const LIST_LIMIT = 10_000
/** Bytes kept free on the node's disk: a put that would leave less is refused. */
export const KEEP_FREE_BYTES = 64 * 1024 * 1024
/** The scheme of data space paths. */
export const SCHEME = 'data://'
/** Stands for the caller's own user name in a path. */
export const MY = '.my'
