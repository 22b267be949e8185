import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { paipLogger } from '../../src/logger.js'
import { dhtRecordOptions } from '../../src/net/records.js'
import { createHost } from '../../src/net/host.js'
import { createMarketplace, protocolRecords } from '../../src/marketplace/index.js'
import { stopHosts, waitFor } from '../fixtures/hosts.js'
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
import type { TestNode } from '../fixtures/daemon.js'
import type { Host } from '../../src/net/host.js'
import type { Marketplace, MarketplaceInit } from '../../src/marketplace/index.js'

export interface MarketNode { host: Host, market: Marketplace, stop: () => Promise<void> }

export interface Markets {
  nodes: MarketNode[]
  db: Level<string, any>
  stop: () => Promise<void>
}

/**
 * `count` libp2p hosts on loopback, each with its own protocol record namespace registered on
 * its DHT (as separate processes would have) and a started marketplace; bootstrapped to the first.
 */
export async function startMarkets (count: number, init: MarketplaceInit = {}): Promise<Markets> {
  const dir = await mkdtemp(join(tmpdir(), 'paip-market-'))
  const db = new Level<string, any>(dir, { valueEncoding: 'json' })
  await db.open()
  const nodes: MarketNode[] = []
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < count; i++) {
      const records = protocolRecords()
      const privateKey = await generateKeyPair('Ed25519')
      const host = await createHost({
        privateKey,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: i === 0 ? [] : nodes[0].host.getMultiaddrs().map(String),
        querySelfInterval: 1000,
        ...dhtRecordOptions(records)
      })
      await host.start()
      const market = createMarketplace({
        host, privateKey, db: db.sublevel(`node${i}`, { valueEncoding: 'json' }) as any, logger: paipLogger()
      }, { records, searchTimeout: 3000, ...init })
      await market.start()
      let stopped = false
      nodes.push({
        host,
        market,
        stop: async () => {
          if (stopped) return
          stopped = true
          await market.stop()
          await stopHosts([host])
        }
      })
    }
    await waitFor(() => nodes.every(n => count === 1 || n.host.services.dht.routingTable.size > 0), 15_000, 'routing tables to fill')
    return { nodes, db, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export function protocolYaml (name: string, description: string, extra = ''): Uint8Array {
  return new TextEncoder().encode(`protocolVersion: 2
name: ${name}
type: job
description: ${description}
prerequisites:
  - type: dockerimage
    name: image
    uri: openpai/pytorch-${name}
taskRoles:
  train:
    instances: 1
    dockerImage: image
    resourcePerInstance: { cpu: 1, memoryMB: 1024, gpu: 0 }
    commands:
      - python ${name}.py ${extra}
`)
}

/** A whole node (HTTP API included) with the users and marketplace components, and the routes that need no other. */
export async function startMarketNode (bootstrap: string[] = [], options: { private?: boolean } = {}): Promise<TestNode> {
  return await startNode({
    components: marketplaceEntries(),
    routes: [healthRoutes, portalRoutes, openpaiRoutes, openpaiBlobRoutes, validateRoutes, nodeRoutes, repoRoutes, userRoutes, userAdminRoutes],
    config: { network: { bootstrap }, ...(options.private === true ? { private: true } : {}) }
  })
}
