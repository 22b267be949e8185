import { peerIdFromString } from '@libp2p/peer-id'
import { listenAddressesOf } from '../net/addresses.js'
import { parseBlobCid } from '../storage/index.js'
import { FIND_PROVIDERS_TIMEOUT, MAX_SEARCH_PEERS, PEER_QUERY_TIMEOUT } from './constants.js'
import { matchedTerms } from './entries.js'
import { termKey } from './keys.js'
import { localMatches, queryPeer } from './protocol.js'
import type { CatalogQuery } from './entries.js'
import type { EntryKind } from './schema.js'
import type { CatalogEntry, CatalogStore } from './store.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

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

/** Collects the providers of one key until the lookup ends or its deadline passes. */
async function providersOf (host: Libp2p, key: CID, signal: AbortSignal, log: Logger, onProvider: (peer: PeerId) => void): Promise<void> {
  let count = 0
  try {
    for await (const provider of host.contentRouting.findProviders(key, { signal })) {
      if (provider.multiaddrs.length > 0) {
        await host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
      }
      onProvider(provider.id)
      if (++count >= MAX_SEARCH_PEERS) break
    }
  } catch (err: any) {
    if (!signal.aborted) log('find providers of %s failed: %s', key, err?.message ?? err)
  }
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

/**
 * Searches the grid: finds the providers of every term on the DHT, asks each of them (with a
 * deadline) for its current matching entries, drops the ones that do not answer, and ranks.
 */
export async function searchGrid (host: Libp2p, store: CatalogStore, kind: EntryKind, terms: string[], log: Logger, options: SearchOptions = {}): Promise<SearchResult[]> {
  const query: CatalogQuery = { kind, terms, manifests: options.manifests ?? [] }
  const self = host.peerId.toString()
  const lookup = AbortSignal.timeout(options.findProvidersTimeout ?? FIND_PROVIDERS_TIMEOUT)
  const findSignal = options.signal == null ? lookup : AbortSignal.any([options.signal, lookup])
  const keys = [...terms.map(t => termKey(kind, t)), ...(options.manifests ?? []).map(m => parseBlobCid(m))]
  const results: SearchResult[] = []
  const add = (entry: CatalogEntry, node: NodeInfo): void => {
    const matched = matchedTerms(entry, terms)
    if (matched.length === 0 && !(options.manifests ?? []).includes(entry.manifest)) return
    results.push({ entry, node, matched, all: matched.length === terms.length })
  }

  // each provider is asked as soon as the DHT names it, while the lookups go on
  const asked = new Set<string>([self])
  const answers: Array<Promise<void>> = []
  const ask = (peer: PeerId): void => {
    const id = peer.toString()
    if (asked.has(id) || asked.size > MAX_SEARCH_PEERS) return
    asked.add(id)
    answers.push((async () => {
      try {
        const { entries, api } = await queryPeer(host, peer, query, { signal: options.signal, timeout: options.peerTimeout ?? PEER_QUERY_TIMEOUT })
        const node = { peerId: id, addresses: await addressesOf(host, peer), self: false, ...(api == null ? {} : { api }) }
        for (const entry of entries) if (entry.kind === kind) add(entry, node)
      } catch (err: any) {
        log('dropping %p from search results: %s', peer, err?.message ?? err)
      }
    })())
  }

  if (options.remoteOnly !== true) {
    const addresses = host.getMultiaddrs().map(a => a.toString())
    const api = options.selfApi == null || options.selfApi === '' ? {} : { api: options.selfApi }
    for (const entry of await localMatches(store, query)) add(entry, { peerId: self, addresses, self: true, ...api })
  }
  if (options.peers != null) for (const peer of options.peers) ask(peerIdFromString(peer))
  else await Promise.all(keys.map(async key => providersOf(host, key, findSignal, log, ask)))
  options.signal?.throwIfAborted()
  await Promise.all(answers)
  options.signal?.throwIfAborted()
  return rank(results)
}
