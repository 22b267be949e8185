import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { paipLogger } from '../../src/logger.js'
import { createHost } from '../../src/net/host.js'
import { dhtRecordOptions } from '../../src/net/records.js'
import { createMarketplace, protocolRecords } from '../../src/marketplace/index.js'
import { until } from '../fixtures/wait.js'
import { startMarkets, protocolYaml } from './fixtures.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Markets } from './fixtures.js'

describe('marketplace: restart', function () {
  this.timeout(120_000)
  let dir: string
  let db: Level<string, any>
  let net: Markets | undefined
  const stops: Array<() => Promise<void>> = []
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-restart-'))
    db = new Level<string, any>(dir, { valueEncoding: 'json' })
    await db.open()
  })
  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await net?.stop()
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function startA (privateKey: PrivateKey, bootstrap: string[]) {
    const records = protocolRecords()
    const host = await createHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, querySelfInterval: 1000, ...dhtRecordOptions(records) })
    await host.start()
    const market = createMarketplace({ host, privateKey, db: db.sublevel('a', { valueEncoding: 'json' }) as any, logger: paipLogger() }, { records })
    await market.start()
    const stop = async (): Promise<void> => { await market.stop(); await host.stop() }
    stops.push(stop)
    return { host, market, stop }
  }

  it('re-announces what it published after a restart, into a network that never saw it', async () => {
    const key = await generateKeyPair('Ed25519')
    const alone = await startA(key, [])
    const published = await alone.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'digits') })
    await alone.stop()

    // a restart, on the sockets a daemon would use
    net = await startMarkets(3, {}, { transport: 'tcp' })
    const again = await startA(key, net.nodes[0].host.getMultiaddrs().map(String))
    assert.equal(again.market.entries().length, 1, 'entries survive the restart')
    const searcher = net.nodes[2].market
    await until(async () => (await searcher.searchRanked(['digits'], { timeout: 1500 })).length > 0, 30_000, 'the restarted node to re-announce')
    const pulled = await net.nodes[1].market.pull(`${published.publisher}/mnist`)
    assert.equal(pulled.selected.cid, published.version)
  })
})
