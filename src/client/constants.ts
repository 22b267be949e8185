import { second } from '../time.js'

/** Deadline of one API request from a client when the caller gives no signal. */
export const API_REQUEST_TIMEOUT = 30 * second
