import { second, hour } from '../time.js'

/** DHT record namespace of published protocols: `/paip-protocol/<publisher>/<hash of name>`. */
export const PROTOCOL_NAMESPACE = 'paip-protocol'
/**
 * Namespace of the prefix keys: a node also provides the first PREFIX_LENGTH characters of each
 * longer keyword, so a search for `covid` finds the holders of `covid19` (and ranks them below
 * exact matches). Query words shorter than PREFIX_LENGTH match whole keywords only.
 */
export const PROTOCOL_PREFIX_NAMESPACE = 'paip-protocol-prefix'
export const PREFIX_LENGTH = 4
/** Stream protocols. */
export const SEARCH_PROTOCOL = '/paip/market-search/1.0.0'
export const FETCH_PROTOCOL = '/paip/market-fetch/1.0.0'

/** Largest protocol file or version object (bytes). */
export const MAX_OBJECT_BYTES = 1024 * 1024
/** Largest fetch answer (base64 of MAX_OBJECT_BYTES plus framing). */
export const MAX_FETCH_MESSAGE_BYTES = 2 * 1024 * 1024
/** Largest search answer one peer may send. */
export const MAX_SEARCH_MESSAGE_BYTES = 512 * 1024
/** Most entries one peer returns for one search. */
export const MAX_SEARCH_ANSWERS = 50
/** Most keywords in a query, and per protocol. */
export const MAX_QUERY_KEYWORDS = 16
export const MAX_KEYWORDS = 64
/** Longest description kept in a record. */
export const MAX_DESCRIPTION = 1000
/** Longest history followed when pulling. */
export const MAX_HISTORY = 1000

/** A whole network search. */
export const SEARCH_TIMEOUT = 3 * second
/** One peer's answer to a search. */
export const SEARCH_PEER_TIMEOUT = 1500
/** Peers asked at once during a search. */
export const SEARCH_CONCURRENCY = 16
/** One fetch from one peer. */
export const FETCH_TIMEOUT = 5 * second
/** A whole pull. */
export const PULL_TIMEOUT = 30 * second
/** Finding providers for one key. */
export const FIND_PROVIDERS_TIMEOUT = 5 * second
/** Announcing (providing) during publish. */
export const PROVIDE_TIMEOUT = 10 * second
/** At start, how long to wait for DHT peers before re-announcing what this node holds. */
export const START_REPUBLISH_WAIT = 30 * second
/** A record no peer stored at publish is put again after this long. */
export const PUT_RETRY_DELAY = 30 * second
/**
 * Held records are put again this often: kad-dht drops a stored record 48 h after receiving
 * it and never puts it again itself. (Provider records need nothing: kad-dht re-provides them.)
 */
export const REPUBLISH_INTERVAL = 6 * hour
/**
 * A publish returns once this many peers stored its signed record and this many the provider
 * record of its name's keyword (searches and resolves find it from then on); the puts and
 * provides to the other closest peers, and the other keywords, go on in the background.
 */
export const ANNOUNCE_ENOUGH = 3
/**
 * A publication's history (its versions' and contents' CIDs) is announced this long after the
 * publish returned, as the lookups behind its keywords are (src/net/direct.ts): the publisher
 * answers the searches its publication draws first.
 */
export const HISTORY_ANNOUNCE_DELAY = 5 * second
