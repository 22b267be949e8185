import { Level } from 'level'
import { paipLogger } from '../../src/logger.js'
import { dhtRecordOptions } from '../../src/net/records.js'
import { createMarketplace, protocolRecords } from '../../src/marketplace/index.js'
import { startHostGrid, stopHosts } from '../fixtures/hosts.js'
import { removeDir, tempDir } from '../fixtures/temp.js'
import { marketplaceEntries } from '../../src/node/registry.js'
import { healthRoutes } from '../../src/api/routes/health.js'
import { nodeRoutes } from '../../src/api/routes/node.js'
import { openpaiRoutes } from '../../src/api/routes/openpai.js'
import { openpaiBlobRoutes } from '../../src/api/routes/openpai-blobs.js'
import { portalRoutes } from '../../src/api/routes/portal.js'
import { repoRoutes } from '../../src/api/routes/repo.js'
import { userAdminRoutes } from '../../src/api/routes/user-admin.js'
import { userRoutes } from '../../src/api/routes/users.js'
import { validateRoutes } from '../../src/api/routes/validate.js'
import { startNode } from '../fixtures/daemon.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'
import { startGrid } from '../fixtures/grid.js'
import type { StartNodeOptions, TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'
import type { Host } from '../../src/net/host.js'
import type { HostGrid, HostsOptions } from '../fixtures/hosts.js'
import type { Marketplace, MarketplaceInit } from '../../src/marketplace/index.js'

export interface MarketNode { host: Host, market: Marketplace, stop: () => Promise<void> }

export interface Markets {
  nodes: MarketNode[]
  db: Level<string, any>
  stop: () => Promise<void>
}

/**
 * `count` libp2p hosts (memory transport unless told `tcp`), each with its own protocol record
 * namespace registered on its DHT (as separate processes would have) and a started marketplace;
 * bootstrapped to the first.
 */
export async function startMarkets (count: number, init: MarketplaceInit = {}, options: Omit<HostsOptions, 'init'> = {}): Promise<Markets> {
  const dir = await tempDir('paip-market-')
  const db = new Level<string, any>(dir, { valueEncoding: 'json' })
  await db.open()
  const nodes: MarketNode[] = []
  let grid: HostGrid | undefined
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await grid?.stop()
    await db.close()
    await removeDir(dir)
  }
  try {
    const records = Array.from({ length: count }, () => protocolRecords())
    grid = await startHostGrid(count, { ...options, init: i => dhtRecordOptions(records[i]) })
    const { hosts, keys } = grid
    for (const [i, host] of hosts.entries()) {
      const market = createMarketplace({
        host, privateKey: keys[i], db: db.sublevel(`node${i}`, { valueEncoding: 'json' }) as any, logger: paipLogger()
      }, { records: records[i], searchTimeout: 3000, ...init })
      let stopped = false
      const node: MarketNode = {
        host,
        market,
        stop: async () => {
          if (stopped) return
          stopped = true
          await market.stop()
          await stopHosts([host])
        }
      }
      nodes.push(node)
      await market.start()
    }
    return { nodes, db, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export function protocolYaml (name: string, description: string, extra = ''): Uint8Array {
  return new TextEncoder().encode(publishedProtocol({ name, description, image: `openpai/pytorch-${name}`, role: 'train', memoryMB: 1024, commands: [`python ${name}.py ${extra}`.trim()] }))
}

/** A whole node (HTTP API included) with the users and marketplace components, and the routes that need no other. */
export async function startMarketNode (bootstrap: string[] = [], options: { private?: boolean } = {}): Promise<TestNode> {
  return await startNode({ ...marketNodeOptions(options), config: { network: { bootstrap }, ...marketNodeOptions(options).config } })
}

/** `count` whole marketplace nodes (as `startMarketNode`) joined on the memory transport. */
export async function startMarketGrid (count: number, options: { private?: boolean } = {}): Promise<Grid> {
  return await startGrid(count, { node: marketNodeOptions(options) })
}

function marketNodeOptions (options: { private?: boolean }): StartNodeOptions {
  return {
    components: marketplaceEntries(),
    routes: [healthRoutes, portalRoutes, openpaiRoutes, openpaiBlobRoutes, validateRoutes, nodeRoutes, repoRoutes, userRoutes, userAdminRoutes],
    config: options.private === true ? { private: true } : {}
  }
}
