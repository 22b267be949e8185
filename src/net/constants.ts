import { second, minute, hour } from '../time.js'

/** The DHT protocol: a paip grid never mixes with the public IPFS DHT. */
export const DHT_PROTOCOL = '/paip/kad/1.0.0'
/** Every paip stream protocol is `/paip/<name>/1.0.0`. */
export const PROTOCOL_PREFIX = '/paip'

/** Default cap on one framed message on a paip stream protocol. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024
/**
 * Flow control of a message stream: libp2p streams hand over bytes as they arrive (and Yamux
 * grants the sender more window on arrival), so a reader slower than its sender (a fetch
 * writing to disk on a loaded machine) would buffer without bound and fail with "Read buffer
 * overflow" at 4 MiB. A stream is paused (Yamux grants no more window) while more than this many
 * bytes wait unread and no read is waiting.
 */
export const STREAM_READ_AHEAD_BYTES = 1024 * 1024
/**
 * Yamux's largest receive window per stream (its default 16 MiB) and the most a paused stream
 * may buffer: the window still in flight when a stream pauses must fit.
 */
export const STREAM_MAX_WINDOW_BYTES = 4 * 1024 * 1024
export const STREAM_MAX_READ_BUFFER_BYTES = 8 * 1024 * 1024
/**
 * How long a caller that read a peer's whole answer waits for the peer to end its side after
 * closing its own (`MessageStream.finish`): a peer that keeps its side open (or keeps sending)
 * has the stream aborted, so no half-open stream stays. A handler only closes its side: its
 * caller may still be reading what it sent.
 */
export const STREAM_CLOSE_TIMEOUT = 5 * second
/** Default deadline of one request/response exchange on a paip stream protocol. */
export const RPC_TIMEOUT = 10 * second
/** Deadline of a ping or a join dial when the caller gives none. */
export const DIAL_TIMEOUT = 10 * second
/**
 * A node without any connection, or with an empty routing table, dials its bootstrap peers again after this pause (libp2p's
 * bootstrap dials them once, at start), doubling while it stays alone...
 */
export const REBOOTSTRAP_INTERVAL = 2 * second
/** ...up to this. */
export const REBOOTSTRAP_MAX_INTERVAL = minute

/**
 * Concurrent ping streams per connection. libp2p's connection monitor pings every connection
 * every 10 s and aborts the connection when that ping fails; kad-dht pings new contacts before
 * adding them and old ones before evicting them. With the ping protocol's defaults (1 outbound,
 * 2 inbound) the second ping fails with TooManyOutboundProtocolStreamsError and the monitor
 * drops the connection with all the DHT queries on it.
 */
export const PING_MAX_OUTBOUND_STREAMS = 4
/**
 * How often libp2p's connection monitor pings each open connection (its default: 10 s). Every
 * ping is a new stream, and every stream costs a peer-store read and write on both sides: on an
 * idle 10-node grid the monitor made most of the daemon's idle work. A dead peer's TCP
 * connection closes on its own; the ping finds only links that went silent.
 */
export const CONNECTION_PING_INTERVAL = 60 * second
/** Room for a remote's monitor and DHT pings at once (twice its outbound allowance). */
export const PING_MAX_INBOUND_STREAMS = 8

/** Provider records are valid this long on the nodes that store them... */
export const PROVIDE_VALIDITY = 48 * hour
/** ...are checked this often... */
export const REPROVIDE_INTERVAL = hour
/** ...and re-provided when they are within this of expiring. */
export const REPROVIDE_THRESHOLD = 24 * hour
/**
 * How many keys the reprovider re-provides at once (kad-dht's default). Each is a lookup and
 * ADD_PROVIDERs to the k closest nodes, ~40 messages and a few new connections (bench/scale.ts
 * measures it); more at once would mostly add connections past MAX_CONNECTIONS.
 */
export const REPROVIDE_CONCURRENCY = 10

/**
 * Inbound connections accepted per second from one IP. libp2p's default (5) resets a
 * testbed where many nodes share 127.0.0.1; loopback and the configured allow list bypass
 * the limit altogether.
 */
export const INBOUND_CONNECTION_THRESHOLD = 5
export const MAX_CONNECTIONS = 300
/** Exempt from connection limits by default: loopback, where testbeds run many nodes. */
export const DEFAULT_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']

/** Provides (DHT provider record announcements) one node runs at once. */
export const PROVIDE_CONCURRENCY = 4
/** Deadline of announcing one key. */
export const PROVIDE_TIMEOUT = minute
/** A key that reached no peer is tried again this soon, then twice as late each time... */
export const ANNOUNCE_RETRY_INTERVAL = 5 * second
/** ...up to this long between tries. */
export const ANNOUNCE_RETRY_MAX_INTERVAL = 10 * minute
/** How long `waitForPeers` waits for a DHT peer by default. */
export const PEER_WAIT = minute
/** How often `waitForPeers` looks at the routing table. */
export const PEER_POLL_INTERVAL = 100

/**
 * kad-dht's lookup concurrency (alpha) and disjoint paths, kept at kad-dht's defaults (10, and
 * as many paths). A lookup splits the k = 20 peers of its routing table closest to the key among
 * the paths and each path asks up to alpha at once, closest first: on 25 nodes it asks 20 at
 * once. Fewer were measured on a loaded 25-node grid (one process, 30 s search deadline, the
 * same grid and searches interleaved): alpha 3 on 3 paths or on 1 path cost less CPU per search,
 * but found the protocol in 3-4 of 12 searches against 8-9 of 12 with the defaults (a converged
 * lookup that asked fewer peers missed providers a wider one reached), so they stay.
 */
export const DHT_ALPHA = 10
export const DHT_DISJOINT_PATHS = 10
/**
 * A provider lookup ends once this many peers, the closest to the key it knows of, have
 * answered (they hold the key's provider records: a provide stores them on the k = 20 closest),
 * instead of when kad-dht has asked every peer it heard of (see src/net/lookup.ts).
 */
export const LOOKUP_CONVERGED_PEERS = 5
/**
 * A publication's record and provider records are first sent to this many peers of the routing
 * table closest to each key (more than the 3 it waits for, more than a converged lookup asks);
 * kad-dht's lookup-based put and provide reach the k closest of the grid later.
 */
export const DIRECT_PROVIDE_PEERS = 8
/**
 * kad-dht's lookup-based put and provide that follow a direct send that reached enough peers
 * start this long after it (at once when it fell short): see lookupGate in src/net/direct.ts.
 */
export const BACKGROUND_LOOKUP_DELAY = 5 * second
/**
 * A peer a converging lookup asked this long ago without an answer yet no longer holds the
 * convergence up (it still may answer): kad-dht's own deadline of a DHT message is 5 s at least,
 * so one silent peer among the closest held a search up to its deadline.
 */
export const LOOKUP_PEER_SLOW = second
/** A whole discovery: after this, it ends with the answers it has. */
export const DISCOVER_TIMEOUT = 5 * second
/** Finding the providers of the keys (within the whole deadline). */
export const FIND_PROVIDERS_TIMEOUT = 5 * second
/**
 * A discovery's broader keys (`thenKeys`: the marketplace's prefix keys) are looked up once the
 * exact keys' lookups ended, or after this long when those take longer.
 */
export const THEN_KEYS_AFTER = second
/** One provider's answer. */
export const DISCOVER_PEER_TIMEOUT = 3 * second
/**
 * Added to a provider's deadline when this node has no connection to it yet: a first contact
 * dials, runs Noise's handshake and negotiates the muxer and the protocol before the request
 * (several round trips, and CPU on a loaded machine) that a connected peer answers without.
 */
export const FIRST_CONTACT_ALLOWANCE = 2 * second
/** Providers asked at once. */
export const DISCOVER_CONCURRENCY = 16
/** Most providers asked in one discovery. */
export const DISCOVER_MAX_PEERS = 200
