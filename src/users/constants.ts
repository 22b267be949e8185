import { second, minute, day } from '../time.js'

/** How long a login token is valid. */
export const TOKEN_TTL = 30 * day
/** Bytes of randomness in a token. */
export const TOKEN_BYTES = 32
/** scrypt cost parameters (N, r, p) and key length for password hashes. */
export const SCRYPT_N = 16384
export const SCRYPT_R = 8
export const SCRYPT_P = 1
export const SCRYPT_KEY_BYTES = 32
export const SALT_BYTES = 16
/** Most groups one user belongs to. */
export const MAX_GROUPS = 64
/** Password length bounds. */
export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1024
/** Failed logins per user before each further attempt is delayed. */
export const FREE_FAILURES = 3
/** Delay added per failure beyond the free ones, doubling, capped. */
export const FAILURE_DELAY = 250
export const MAX_FAILURE_DELAY = 8 * second
/** Failures are forgotten after this long without one. */
export const FAILURE_WINDOW = 15 * minute
