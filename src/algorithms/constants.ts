import { second, minute } from '../time.js'

/** The stream protocol calls are forwarded over, to a node that hosts the algorithm. */
export const ALGORITHMS_PROTOCOL = '/paip/algorithms/1.0.0'
/** A call's default deadline. */
export const CALL_TIMEOUT = 5 * minute
/** The longest deadline a call may ask for. */
export const MAX_CALL_TIMEOUT = 60 * minute
/** Largest JSON payload (and result) of a call. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
/** Largest code tarball (compressed). */
export const MAX_CODE_BYTES = 512 * 1024 * 1024
/** Most entries in a code tarball. */
export const MAX_TAR_ENTRIES = 20_000
/** Most bytes a code tarball may unpack to. */
export const MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
/** How much of a crashed algorithm's output its error carries. */
export const STDERR_TAIL_BYTES = 2048
/** How long a call looks for hosts on the DHT. */
export const FIND_HOSTS_TIMEOUT = 15 * second
/** Most hosts a forwarded call tries. */
export const MAX_HOSTS_TRIED = 3
/** Deadline of one announcement. */
export const PROVIDE_TIMEOUT = 30 * second
/** Memory of one call (MB), as the job's resource request. */
export const CALL_MEMORY_MB = 1024
