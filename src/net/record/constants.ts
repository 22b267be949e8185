import { second, minute } from '../../time.js'

/** Largest record value accepted (bytes). */
export const MAX_RECORD_BYTES = 64 * 1024
/** Longest record name (characters). */
export const MAX_RECORD_NAME = 512
/** A record dated further than this in the future is rejected (clock skew allowance). */
export const MAX_CLOCK_SKEW = 10 * minute
/** Default deadline of a DHT put or get of a record. */
export const RECORD_TIMEOUT = 15 * second
/**
 * A put that returned once enough peers stored it goes on (kad-dht's lookup-based put) for at
 * most this long: a loaded machine or a high-latency network makes its lookup slow.
 */
export const BACKGROUND_PUT_TIMEOUT = minute
/** How many keys a namespace remembers the highest sequence number of (replay protection). */
export const HIGH_WATER_ENTRIES = 10_000
