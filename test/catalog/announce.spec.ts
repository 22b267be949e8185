import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { createCatalog, tagKey } from '../../src/catalog/index.js'
import { paipLogger } from '../../src/logger.js'
import { createHost } from '../../src/net/host.js'
import { createBlobStore } from '../../src/storage/index.js'
import { libp2pDatastore } from '../../src/node/database.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { tempDir } from '../fixtures/temp.js'
import { until } from '../fixtures/wait.js'
import { catalogFor, fastInit, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import type { CatalogNode } from './helpers.js'
import type { Catalog } from '../../src/catalog/index.js'
import type { Host, HostInit } from '../../src/net/host.js'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

describe('catalog: announcing on the DHT', function () {
  this.timeout(90_000)
  let nodes: CatalogNode[] = []
  let work: string
  const extra: Array<{ host?: Host, catalog?: Catalog, db?: Level<string, any> }> = []
  const otherHosts: Host[] = []

  before(async () => {
    // the restart tests use real sockets and a datastore on disk, as a daemon's restart
    nodes = await startCatalogNodes(4, fastInit, { transport: 'tcp' })
    work = await tempDir('paip-announce-')
  })

  after(async () => {
    for (const e of extra) {
      await Promise.resolve(e.catalog?.stop()).catch(() => {})
      await Promise.resolve(e.host?.stop()).catch(() => {})
      await e.db?.close().catch(() => {})
    }
    await stopHosts(otherHosts)
    await stopCatalogNodes(nodes)
    await fs.rm(work, { recursive: true, force: true })
  })

  it('stops answering for a removed dataset', async () => {
    const dir = await writeTree(path.join(work, 'gone'), { 'a.csv': 'a' })
    await nodes[1].catalog.add('dataset', { path: dir }, { name: 'gone', tags: ['#gone'], public: true })
    assert.equal((await nodes[2].catalog.search('dataset', ['#gone'])).length, 1)
    await nodes[1].catalog.remove('dataset', 'gone')
    assert.deepEqual(await nodes[2].catalog.search('dataset', ['#gone']), [])
  })

  /** A node on its own home (level database, libp2p datastore in it, blobs), started on a host that bootstraps from `bootstrap`. */
  async function startOnHome (dir: string, privateKey: PrivateKey, bootstrap: Host[], reprovide?: HostInit['reprovide']): Promise<{ host: Host, catalog: Catalog, db: Level<string, any> }> {
    const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    const datastore = libp2pDatastore(db)
    await datastore.open()
    const host = await createHost({
      privateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: bootstrap.flatMap(h => h.getMultiaddrs().map(a => a.toString())),
      querySelfInterval: 1000,
      datastore,
      ...(reprovide == null ? {} : { reprovide })
    })
    const started = { host, db, catalog: undefined as unknown as Catalog }
    extra.push(started)
    await host.start()
    started.catalog = createCatalog({ db: db.sublevel('catalog', { valueEncoding: 'json' }) as any, blobs: createBlobStore({ dir: path.join(dir, 'blobs') }), host, logger: paipLogger() }, fastInit)
    await started.catalog.start()
    return started
  }

  /** Whether a host holds, in its own datastore, a provider record of `provider` for the key. */
  async function holdsProvider (host: Host, key: CID, provider: Host): Promise<boolean> {
    for await (const event of host.services.dht.findProviders(key, { signal: AbortSignal.timeout(5000) })) {
      if (event.name === 'PROVIDER' && event.from.equals(host.peerId)) return event.providers.some(p => p.id.equals(provider.peerId))
    }
    return false
  }

  async function stop (node: { host: Host, catalog: Catalog, db: Level<string, any> }): Promise<void> {
    await node.catalog.stop()
    await node.host.stop()
    await node.db.close()
  }

  it('announces a dataset added on a node alone once the node has peers', async () => {
    const alone = await startOnHome(await tempDir('paip-alone-'), await generateKeyPair('Ed25519'), [])
    const dir = await writeTree(path.join(work, 'lonely'), { 'l.csv': 'l' })
    await alone.catalog.add('dataset', { path: dir }, { name: 'lonely', tags: ['#lonely'], public: true })
    await alone.host.dial(nodes[0].host.getMultiaddrs()[0])
    await until(async () => {
      const results = await nodes[2].catalog.search('dataset', ['#lonely'])
      return results.some(r => r.node.peerId === alone.host.peerId.toString())
    }, 30_000, 'the dataset added alone to be found by tag')
  })

  it('is found again after a restart into a network that never saw it: kad-dht re-provides from the node\'s datastore', async () => {
    // the node's keys reach a first network, gone when the node restarts in another one: only
    // kad-dht's reprovider, reading the keys from the persistent datastore, can announce them
    const home = await tempDir('paip-restart-')
    const privateKey = await generateKeyPair('Ed25519')
    const gone = await startHosts(2, {}, { transport: 'tcp' })
    otherHosts.push(...gone)
    const first = await startOnHome(home, privateKey, gone)
    const dir = await writeTree(path.join(work, 'kept'), { 'k.csv': 'k' })
    const added = await first.catalog.add('dataset', { path: dir }, { name: 'kept', tags: ['#kept'], public: true })
    assert.equal(added.name, 'kept')
    await stop(first)
    await stopHosts(gone)

    const other = await startHosts(2, {}, { transport: 'tcp' })
    otherHosts.push(...other)
    const searcher = await catalogFor(other[1])
    extra.push(searcher)
    // a short reprovide interval and a threshold as long as the validity: re-provide at the first scan
    const again = await startOnHome(home, privateKey, [other[0]], { interval: 500, threshold: 48 * 60 * 60 * 1000 })
    // the other network's nodes hold the node's provider record (the node itself would answer a lookup from its datastore)
    await until(async () => await holdsProvider(other[0], tagKey('dataset', '#kept'), again.host), 30_000, 'the other network to hold the provider record')
    await until(async () => {
      const results = await searcher.catalog.search('dataset', ['#kept'])
      return results.some(r => r.node.peerId === again.host.peerId.toString())
    }, 30_000, 'the restarted node to be found by tag')
  })
})
