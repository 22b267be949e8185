import { timed, timedStream } from '../metrics/index.js'
import type { Metrics } from '../metrics/index.js'
import type { NodeComponents } from './components.js'

/** A catalog kind as a label: only the known kinds, whatever a caller passed. */
const kindLabel = (kind: unknown): string => kind === 'dataset' || kind === 'model' ? kind : 'other'

/**
 * Times the operations the node's figures are about, at the components' own entry points (so
 * the HTTP API, the CLI through it, and other components all count): publish, protocol search
 * and pull, dataset and model search and fetch, job dispatch. The components are wrapped in
 * place, before anything calls them; a node without one of them still times the others.
 */
export function instrumentComponents (components: Partial<Pick<NodeComponents, 'marketplace' | 'catalog' | 'jobs'>>, metrics: Metrics): void {
  const { marketplace, catalog, jobs } = components
  if (marketplace != null) instrumentMarketplace(marketplace, metrics)
  if (catalog != null) instrumentCatalog(catalog, metrics)
  if (jobs != null) instrumentJobs(jobs, metrics)
}

function instrumentMarketplace (marketplace: NodeComponents['marketplace'], metrics: Metrics): void {
  const publish = marketplace.publish
  marketplace.publish = async (input, options) => await timed(metrics.publish, {}, async () => await publish(input, options))
  const search = marketplace.search
  marketplace.search = (words, options) => timedStream(metrics.search, metrics.searchFirstResult, { kind: 'protocol' }, search(words, options))
  const searchRanked = marketplace.searchRanked
  marketplace.searchRanked = async (words, options) => await timed(metrics.search, { kind: 'protocol' }, async () => await searchRanked(words, options))
  const pull = marketplace.pull
  marketplace.pull = async (ref, options) => await timed(metrics.fetch, { kind: 'protocol' }, async () => await pull(ref, options))
}

function instrumentCatalog (catalog: NodeComponents['catalog'], metrics: Metrics): void {
  const catalogSearch = catalog.search
  catalog.search = async (kind, terms, options) => await timed(metrics.search, { kind: kindLabel(kind) }, async () => await catalogSearch(kind, terms, options))
  const catalogFetch = catalog.fetch
  catalog.fetch = async (kind, ref, options) => await timed(metrics.fetch, { kind: kindLabel(kind) }, async () => await catalogFetch(kind, ref, options))
}

function instrumentJobs (jobs: NodeComponents['jobs'], metrics: Metrics): void {
  const run = jobs.run
  jobs.run = async (req, options) => await timed(metrics.jobDispatch, {}, async () => await run(req, options))
}
