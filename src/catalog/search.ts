import { peerIdFromString } from '@libp2p/peer-id'
import { listenAddressesOf } from '../net/addresses.js'
import { parseBlobCid } from '../storage/index.js'
import { FIND_PROVIDERS_TIMEOUT, MAX_SEARCH_PEERS, PEER_QUERY_TIMEOUT } from './constants.js'
import { matchedTerms } from './entries.js'
import { termKey } from './keys.js'
import { localMatches, queryPeer } from './wire.js'
import type { Routing } from '../net/routing.js'
import type { CatalogQuery } from './entries.js'
import type { EntryKind } from './schema.js'
import type { CatalogEntry, CatalogStore } from './store.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'

/** A node holding a match: its peer ID (the node ID) and the addresses to reach it at. */
export interface NodeInfo {
  peerId: string
  addresses: string[]
  /** True for the node that ran the search. */
  self: boolean
  /** Its HTTP API URL, when it announces one (config `api.publicUrl`). */
  api?: string
}

export interface SearchResult {
  entry: CatalogEntry
  node: NodeInfo
  /** The query terms the entry matches. */
  matched: string[]
  /** True when it matches every term. */
  all: boolean
}

export interface SearchOptions {
  signal?: AbortSignal
  findProvidersTimeout?: number
  peerTimeout?: number
  /** Leave out this node's own entries. */
  remoteOnly?: boolean
  /** Also ask for entries with these manifest CIDs. */
  manifests?: string[]
  /** Ask these peers (IDs) directly instead of looking the providers up on the DHT (known holders). */
  peers?: string[]
  /** This node's announced API URL (for its own matches). */
  selfApi?: string
}

/** The addresses the peer listens on, best first to dial (never an inbound connection's port). */
async function addressesOf (host: Libp2p, peer: PeerId): Promise<string[]> {
  return (await listenAddressesOf(host, peer)).map(a => a.toString())
}

/** Nodes with every term first, then by how many they match, then by name and node. */
export function rank (results: SearchResult[]): SearchResult[] {
  return results.sort((a, b) =>
    Number(b.all) - Number(a.all) ||
    b.matched.length - a.matched.length ||
    a.entry.name.localeCompare(b.entry.name) ||
    a.node.peerId.localeCompare(b.node.peerId))
}

/** What a search needs: the node's host (addresses), its entries and the routing service. */
export interface SearchContext {
  host: Libp2p
  store: CatalogStore
  routing: Routing
  log: Logger
}

/**
 * Searches the grid: finds the providers of every term on the DHT, asks each of them (with a
 * deadline) for its current matching entries, drops the ones that do not answer, and ranks.
 */
export async function searchGrid (ctx: SearchContext, kind: EntryKind, terms: string[], options: SearchOptions = {}): Promise<SearchResult[]> {
  const { host } = ctx
  const query: CatalogQuery = { kind, terms, manifests: options.manifests ?? [] }
  const self = host.peerId.toString()
  const results: SearchResult[] = []
  const add = (entry: CatalogEntry, node: NodeInfo): void => {
    const matched = matchedTerms(entry, terms)
    if (matched.length === 0 && !(options.manifests ?? []).includes(entry.manifest)) return
    results.push({ entry, node, matched, all: matched.length === terms.length })
  }

  if (options.remoteOnly !== true) {
    const addresses = host.getMultiaddrs().map(a => a.toString())
    const api = options.selfApi == null || options.selfApi === '' ? {} : { api: options.selfApi }
    for (const entry of await localMatches(ctx.store, query)) add(entry, { peerId: self, addresses, self: true, ...api })
  }
  // each provider is asked as soon as the DHT names it, while the lookups go on
  const answers = ctx.routing.discover({
    keys: [...terms.map(t => termKey(kind, t)), ...(options.manifests ?? []).map(m => parseBlobCid(m))],
    ...(options.peers == null ? {} : { peers: options.peers.map(p => peerIdFromString(p)) }),
    ask: async (peer, { signal }) => {
      const { entries, api } = await queryPeer(host, peer, query, { signal })
      const node = { peerId: peer.toString(), addresses: await addressesOf(host, peer), self: false, ...(api == null ? {} : { api }) }
      return entries.filter(entry => entry.kind === kind).map(entry => ({ entry, node }))
    }
  }, {
    signal: options.signal,
    findTimeout: options.findProvidersTimeout ?? FIND_PROVIDERS_TIMEOUT,
    peerTimeout: options.peerTimeout ?? PEER_QUERY_TIMEOUT,
    // a search ends when its lookups and answers do: the whole deadline is theirs together
    timeout: (options.findProvidersTimeout ?? FIND_PROVIDERS_TIMEOUT) + (options.peerTimeout ?? PEER_QUERY_TIMEOUT),
    maxPeers: MAX_SEARCH_PEERS
  })
  for await (const { value } of answers) add(value.entry, value.node)
  return rank(results)
}
