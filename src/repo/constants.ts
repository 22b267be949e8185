/** Defaults of the local protocol repository, in named units. */
const KiB = 1024
const MiB = 1024 * KiB

/** The hidden folder (inside the repository directory) that holds its metadata. */
export const REPO_DIR = '.paip-repo'
/** The level database inside `REPO_DIR`. */
export const DB_DIR = 'db'
/** The lock file inside `REPO_DIR`. */
export const LOCK_FILE = 'lock'
/** The repository's settings file inside `REPO_DIR` (format version, default author). */
export const CONFIG_FILE = 'config.json'
/** The on-disk format this code reads and writes. */
export const FORMAT_VERSION = 1

/** Largest protocol file `add` accepts (the validator's cap). */
export const MAX_FILE_BYTES = 1 * MiB
/** Largest version record accepted (local or imported). */
export const MAX_RECORD_BYTES = 128 * KiB
/** Longest commit message. */
export const MAX_MESSAGE_CHARS = 64 * KiB
/** Longest repository-relative path. */
export const MAX_PATH_CHARS = 1024
/** Shortest version prefix accepted as a reference. */
export const MIN_PREFIX_CHARS = 4
/** Characters of a version CID shown in short form. */
export const SHORT_ID_CHARS = 16

/** How long `open` waits for a busy repository before giving up (0: fail at once). */
export const LOCK_WAIT_MS = 0
/** Pause between lock attempts while waiting. */
export const LOCK_RETRY_MS = 50

/** Files `add` reads at once. */
export const READ_CONCURRENCY = 32

/** File names a directory walk picks up as protocol files. */
export const PROTOCOL_EXTENSIONS = ['.yaml', '.yml']
/** Directory names a walk never enters (besides hidden ones). */
export const SKIPPED_DIRS = ['node_modules']

/** Multicodec of raw bytes (file contents). */
export const RAW_CODEC = 0x55
/** Multicodec of JSON (version records). */
export const JSON_CODEC = 0x0200
/** Multihash code of sha2-256. */
export const SHA2_256 = 0x12
