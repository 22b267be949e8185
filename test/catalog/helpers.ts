import fs from 'node:fs/promises'
import path from 'node:path'
import { Level } from 'level'
import { createApiServer } from '../../src/api/server.js'
import { createAuthenticator } from '../../src/api/auth.js'
import { datasetRoutes } from '../../src/api/routes/datasets.js'
import { gridSearchRoutes } from '../../src/api/routes/grid-search.js'
import { modelRoutes } from '../../src/api/routes/models.js'
import { createCatalog } from '../../src/catalog/index.js'
import { paipLogger } from '../../src/logger.js'
import { createBlobStore } from '../../src/storage/index.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { tempDir } from '../fixtures/temp.js'
import type { ApiServer } from '../../src/api/server.js'
import type { Catalog, CatalogInit } from '../../src/catalog/index.js'
import type { Host } from '../../src/net/host.js'
import type { HostsOptions } from '../fixtures/hosts.js'
import type { BlobStore } from '../../src/storage/index.js'

/** One grid node for catalog tests: a real host, level database, blob store and catalog. */
export interface CatalogNode {
  host: Host
  db: Level<string, any>
  blobs: BlobStore
  catalog: Catalog
  dir: string
}

export const fastInit: CatalogInit = { findProvidersTimeout: 3000, peerTimeout: 2000, fetchIdleTimeout: 3000, provideTimeout: 10_000 }

export async function catalogFor (host: Host, init: CatalogInit = fastInit): Promise<CatalogNode> {
  const dir = await tempDir('paip-catalog-')
  const db = new Level<string, any>(path.join(dir, 'db'))
  await db.open()
  const blobs = createBlobStore({ dir: path.join(dir, 'blobs') })
  const catalog = createCatalog({ db, blobs, host, logger: paipLogger() }, init)
  await catalog.start()
  return { host, db, blobs, catalog, dir }
}

/** `count` catalog nodes (memory transport unless told `tcp`), bootstrapped to the first. */
export async function startCatalogNodes (count: number, init: CatalogInit = fastInit, options: Omit<HostsOptions, 'init'> = {}): Promise<CatalogNode[]> {
  const hosts = await startHosts(count, {}, options)
  const nodes: CatalogNode[] = []
  try {
    for (const host of hosts) nodes.push(await catalogFor(host, init))
    return nodes
  } catch (err) {
    await stopCatalogNodes(nodes)
    await stopHosts(hosts)
    throw err
  }
}

export async function stopCatalogNode (node: CatalogNode): Promise<void> {
  await Promise.resolve(node.catalog.stop()).catch(() => {})
  await Promise.resolve(node.host.stop()).catch(() => {})
  await node.db.close().catch(() => {})
  await fs.rm(node.dir, { recursive: true, force: true })
}

export async function stopCatalogNodes (nodes: CatalogNode[]): Promise<void> {
  await Promise.allSettled(nodes.map(stopCatalogNode))
}

/** Writes a directory of files: `{ 'a.csv': 'x', 'sub/b.bin': bytes }`. */
export async function writeTree (root: string, files: Record<string, string | Uint8Array>): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel)
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, content)
  }
  return root
}

/** Deterministic pseudo-random bytes (so block digests differ block to block). */
export function bytesOf (size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x >>> 16
  }
  return out
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

export const TOKEN = 'test-admin-token'

/** The catalog's HTTP routes on a real fastify server, as the daemon serves them. */
export async function serve (node: CatalogNode, shutdown: AbortSignal): Promise<{ server: ApiServer, url: string }> {
  const components = {
    logger: paipLogger(),
    authenticator: createAuthenticator({ adminToken: TOKEN }),
    host: node.host,
    catalog: node.catalog,
    shutdownSignal: shutdown
  }
  const server = await createApiServer(components, { routes: [datasetRoutes, modelRoutes, gridSearchRoutes] })
  const url = await server.listen({ host: '127.0.0.1', port: 0 })
  return { server, url }
}
