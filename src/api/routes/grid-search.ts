import { SEARCH_TIMEOUT } from './datasets.js'
import type { SearchResult } from '../../catalog/index.js'
import type { CatalogRouteComponents } from './datasets.js'
import type { ApiRoute } from '../route.js'

const body = {
  type: 'object',
  required: ['query'],
  properties: {
    query: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 256 } }
  }
} as const

/**
 * Seed 002's answer: one `[node id, address]` pair per node, best matches first. The address is
 * one a client can reach: the node's HTTP API URL when it announces one (`api.publicUrl`), else
 * the best of the addresses it listens on (never a connection's ephemeral port).
 */
export function nodeAddresses (results: SearchResult[]): Array<[string, string]> {
  const seen = new Set<string>()
  const out: Array<[string, string]> = []
  for (const { node } of results) {
    if (seen.has(node.peerId)) continue
    seen.add(node.peerId)
    const suffix = `/p2p/${node.peerId}`
    const address = node.addresses[0] ?? ''
    out.push([node.peerId, node.api ?? (address === '' || address.endsWith(suffix) ? address : `${address}${suffix}`)])
  }
  return out
}

/**
 * Seed 002's gateway search, kept as a compatible endpoint on every node:
 * `POST /search {"query": ["#MNIST", "#boston-housing"]}` answers
 * `{"node-addresses": [["<node id>", "<address>"], ...]}` (nodes with every tag first).
 */
export const gridSearchRoutes: ApiRoute<CatalogRouteComponents> = (app, deps) => {
  app.post('/search', { onRequest: deps.access.readAccess, schema: { body } }, async request => {
    const { query } = request.body as { query: string[] }
    const signal = AbortSignal.any([AbortSignal.timeout(SEARCH_TIMEOUT), deps.components.shutdownSignal])
    const results = await deps.components.catalog.search('dataset', query, { signal })
    return { 'node-addresses': nodeAddresses(results) }
  })
}
