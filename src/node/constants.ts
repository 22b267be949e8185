import * as net from '../net/constants.js'
import { second } from '../time.js'

export const API_HOST = '127.0.0.1'
export const API_PORT = 9292
export const API_BODY_LIMIT = 1024 * 1024
/** Any origin may call the API cross-origin: tokens travel in the Authorization header, not in cookies. */
export const API_CORS_ORIGINS = ['*']
/** GET /metrics: anonymous from this machine, the admin token from elsewhere. */
export const API_METRICS = 'local'
export const LISTEN = ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']
export const ALLOW = net.DEFAULT_ALLOW
export const MAX_CONNECTIONS = net.MAX_CONNECTIONS
export const INBOUND_CONNECTION_THRESHOLD = net.INBOUND_CONNECTION_THRESHOLD
/**
 * How often the DHT looks itself up: kad-dht's own default. It looks up every second until its
 * first self-query succeeds, and the join lookups fill the table, so a shorter interval only
 * made idle work (a lookup over the whole grid, every node, every 30 s).
 */
export const QUERY_SELF_INTERVAL = 5 * 60 * second
/** Longest a clean stop may take before the daemon exits anyway. */
export const SHUTDOWN_TIMEOUT = 5 * second
/** Bytes of randomness in the admin token. */
export const TOKEN_BYTES = 32
/** A routing table this full needs no more join lookups (kad-dht's k-bucket size). */
export const JOIN_ENOUGH_PEERS = 20
/** First pause between join lookups; doubles up to the self-query interval while nothing changes. */
export const JOIN_INTERVAL = second
/**
 * Longest pause between join lookups while the table is short of `JOIN_ENOUGH_PEERS` (a grid
 * smaller than that never gets there). Not the self-query interval: testbeds shorten that one,
 * and a lookup a second from every node of a 25-node testbed starves 2 cores.
 */
export const JOIN_MAX_INTERVAL = 30 * second
/**
 * Longest pause between join lookups that find nobody new (a grid of fewer than
 * `JOIN_ENOUGH_PEERS` nodes, once every table holds the whole grid): new nodes still get in,
 * since a joining node connects to us and the DHT adds it on its own.
 */
export const JOIN_IDLE_INTERVAL = 10 * 60 * second
/** Deadline of one join lookup. */
export const JOIN_LOOKUP_TIMEOUT = 10 * second
