/**
 * `paip serve [dir]`: the portal over a local protocol repository, read-only, with no daemon
 * and no network: the marketplace's read routes answered from the repository on disk.
 */
import { randomBytes } from 'node:crypto'
import { createApiServer } from '../api/server.js'
import { createAuthenticator } from '../api/auth.js'
import { portalRoutesFor } from '../api/routes/portal.js'
import { repoRoutes } from '../api/routes/repo.js'
import { paipLogger } from '../logger.js'
import { VERSION } from '../version.js'
import { createRepoMarket } from './market.js'
import type { ApiServer } from '../api/server.js'
import type { RepoMarketInit } from './market.js'

export { createRepoMarket, ReadOnlyError, LOCAL_PUBLISHER } from './market.js'

export interface ServeInit extends RepoMarketInit {
  /** The repository's directory (its root). */
  root: string
}

/** The HTTP server of `paip serve` (not listening yet). */
export async function createServeServer (init: ServeInit): Promise<ApiServer> {
  const market = createRepoMarket(init.root, init)
  await market.refresh()
  const stopping = new AbortController()
  // no one holds a token: every write answers 401 (and the repository market refuses them too)
  const components = {
    logger: paipLogger(),
    authenticator: createAuthenticator({ adminToken: randomBytes(32).toString('hex') }),
    marketplace: market,
    shutdownSignal: stopping.signal
  }
  const app = await createApiServer(components, {
    routes: [portalRoutesFor(() => ({ mode: 'repository', root: init.root, version: VERSION })), repoRoutes],
    onRequest: async () => { await market.refresh() }
  })
  app.addHook('onClose', async () => { stopping.abort() })
  return app
}
