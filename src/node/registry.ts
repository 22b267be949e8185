import type { ComponentEntry, RecordNamespaces } from './components.js'

/**
 * The components a node runs, built in this order after libp2p is created and stopped in
 * reverse. ADD A COMPONENT: one line here (and its field in `NodeComponents`), e.g.
 *
 *   component({ name: 'catalog', records: catalogRecords, create: c => createCatalog(c, c.config.catalog) }),
 */
export const COMPONENTS: ComponentEntry[] = [
]

/** DHT record namespaces every node registers besides the components' own (none yet). */
export const CORE_RECORDS: RecordNamespaces[] = []
