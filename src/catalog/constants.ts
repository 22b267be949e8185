import { second, minute, hour } from '../time.js'

export const CATALOG_PROTOCOL = '/paip/catalog/1.0.0'
export const FETCH_PROTOCOL = '/paip/fetch/1.0.0'

/** Most tags one entry may carry, and most terms one search may ask for. */
export const MAX_TAGS = 32
export const MAX_QUERY_TERMS = 32
/** Longest tag or name (characters). */
export const MAX_TAG_LENGTH = 64
export const MAX_NAME_LENGTH = 128
export const MAX_DESCRIPTION_LENGTH = 4096

/** Most files in one dataset or model, and deepest directory nesting walked. */
export const MAX_FILES = 100_000
export const MAX_DEPTH = 64
/** Biggest manifest accepted from a peer (bytes). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

/** Files are verified in blocks of this size while they are fetched. */
export const BLOCK_BYTES = 1024 * 1024
/**
 * Block sizes a manifest from a peer may name: a fetch holds FETCH_WINDOW_BLOCKS blocks in
 * memory and asks for each run of blocks in one request, so both ends are bounded.
 */
export const MIN_BLOCK_BYTES = 16 * 1024
export const MAX_BLOCK_BYTES = 4 * 1024 * 1024
/**
 * A fetch from several holders: blocks asked of each holder per request, requests in flight per
 * holder, and how far past the last block written to disk blocks may be asked for (the bound on
 * the memory a fetch holds: this many verified blocks waiting for the ones before them).
 */
export const FETCH_RUN_BLOCKS = 4
export const FETCH_STREAMS_PER_HOLDER = 2
export const FETCH_WINDOW_BLOCKS = 16
/** A holder with nothing new to fetch asks for a block in flight elsewhere after this long without progress (ms). */
export const FETCH_STEAL_AFTER = second
/** Size of the binary frames a fetch streams. */
export const FETCH_CHUNK_BYTES = 256 * 1024

/** How long a search waits for provider records per term, and for each node's answer. */
export const FIND_PROVIDERS_TIMEOUT = 5 * second
export const PEER_QUERY_TIMEOUT = 3 * second
/** Most providers asked per search. */
export const MAX_SEARCH_PEERS = 200
/**
 * A fetch gives up on a peer that sends no header for this long, or takes longer than this per
 * FETCH_CHUNK_BYTES of a block to send the whole block (a peer dripping tiny frames included).
 */
export const FETCH_IDLE_TIMEOUT = 30 * second
/** Deadline of one serving fetch stream (a whole file). */
export const FETCH_SERVE_TIMEOUT = 2 * hour
/** Most entries one catalog listing answers with. */
export const MAX_LISTED_ENTRIES = 1000
export { minute }
