import { createCatalog } from '../../src/catalog/index.js'
import { sublevel } from '../../src/node/database.js'
import { createBlobStore } from '../../src/storage/index.js'
import type { CoreComponents } from '../../src/node/components.js'

/** Type-checks the wiring the daemon uses (never run). */
export function wire (c: CoreComponents): unknown {
  const blobs = createBlobStore({ dir: `${c.home}/blobs` })
  return createCatalog({ db: sublevel(c.db, 'catalog'), blobs, host: c.host, logger: c.logger }, {})
}
