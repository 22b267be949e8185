import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { createCatalog } from '../../src/catalog/index.js'
import { paipLogger } from '../../src/logger.js'
import { createHost } from '../../src/net/host.js'
import { createBlobStore } from '../../src/storage/index.js'
import { until } from '../fixtures/wait.js'
import { fastInit, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'
import type { Catalog } from '../../src/catalog/index.js'
import type { Host } from '../../src/net/host.js'

describe('catalog: announcing on the DHT', function () {
  this.timeout(90_000)
  let nodes: CatalogNode[] = []
  let work: string
  const extra: Array<{ host?: Host, catalog?: Catalog, db?: Level<string, any> }> = []

  before(async () => {
    // one test restarts a node on its home: real sockets, as a daemon's restart
    nodes = await startCatalogNodes(4, fastInit, { transport: 'tcp' })
    work = await tempDir('paip-announce-')
  })

  after(async () => {
    for (const e of extra) {
      await Promise.resolve(e.catalog?.stop()).catch(() => {})
      await Promise.resolve(e.host?.stop()).catch(() => {})
      await e.db?.close().catch(() => {})
    }
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

  it('announces every entry again after a restart (kad-dht only re-provides what this run provided)', async () => {
    // node 3's catalog (db + blobs) survives, its process does not: a new host with a new
    // DHT state starts on the same home and must be found by tag without adding anything.
    const node = nodes[3]
    const dir = await writeTree(path.join(work, 'kept'), { 'k.csv': 'k' })
    await node.catalog.add('dataset', { path: dir }, { name: 'kept', tags: ['#kept'], public: true })
    await node.catalog.stop()
    await node.host.stop()
    await node.db.close()

    const host = await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: nodes[0].host.getMultiaddrs().map(a => a.toString()),
      querySelfInterval: 1000
    })
    const db = new Level<string, any>(path.join(node.dir, 'db'))
    extra.push({ host, db })
    await host.start()
    await db.open()
    await until(() => host.services.dht.routingTable.size > 0, 15_000, 'the restarted node to join')
    const catalog = createCatalog({ db, blobs: createBlobStore({ dir: path.join(node.dir, 'blobs') }), host, logger: paipLogger() }, fastInit)
    extra[0].catalog = catalog
    await catalog.start()
    await until(async () => {
      const results = await nodes[1].catalog.search('dataset', ['#kept'])
      return results.some(r => r.node.peerId === host.peerId.toString())
    }, 20_000, 'the restarted node to be found by tag')
  })
})
