const second = 1000
const minute = 60 * second
const hour = 60 * minute

/** The DHT protocol: a paip grid never mixes with the public IPFS DHT. */
export const DHT_PROTOCOL = '/paip/kad/1.0.0'
/** Every paip stream protocol is `/paip/<name>/1.0.0`. */
export const PROTOCOL_PREFIX = '/paip'

/** Default cap on one framed message on a paip stream protocol. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024
/** Default deadline of one request/response exchange on a paip stream protocol. */
export const RPC_TIMEOUT = 10 * second

/** Provider records are valid this long on the nodes that store them... */
export const PROVIDE_VALIDITY = 48 * hour
/** ...are checked this often... */
export const REPROVIDE_INTERVAL = hour
/** ...and re-provided when they are within this of expiring. */
export const REPROVIDE_THRESHOLD = 24 * hour

/**
 * Inbound connections accepted per second from one IP. libp2p's default (5) resets a
 * testbed where many nodes share 127.0.0.1; loopback and the configured allow list bypass
 * the limit altogether.
 */
export const INBOUND_CONNECTION_THRESHOLD = 5
export const MAX_CONNECTIONS = 300
/** Exempt from connection limits by default: loopback, where testbeds run many nodes. */
export const DEFAULT_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']
