import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { paipLogger } from '../../src/logger.js'
import { createHost } from '../../src/net/host.js'
import { dhtRecordOptions, encodeRecord, signRecord } from '../../src/net/records.js'
import { messageStream } from '../../src/net/rpc.js'
import { createRouting } from '../../src/net/routing.js'
import { MARKET, decodeProtocolRecordValue, keywordKey, protocolRecords } from '../../src/marketplace/index.js'
import { fetchFrom, fetchObject } from '../../src/marketplace/fetch.js'
import { decodeVersionBlock } from '../../src/marketplace/objects.js'
import { encodeVersion } from '../../src/repo/index.js'
import { CID } from 'multiformats/cid'
import { startMarkets, protocolYaml } from './fixtures.js'
import { joinGrid, listenFor, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import type { Host } from '../../src/net/host.js'
import type { Markets } from './fixtures.js'

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

/** A bare host on the same DHT, for playing a misbehaving peer. */
async function badHost (bootstrap: Host): Promise<Host> {
  const host = await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    ...listenFor('memory'),
    querySelfInterval: 1000,
    ...dhtRecordOptions(protocolRecords())
  })
  await host.start()
  await joinGrid(host, 'memory', bootstrap.getMultiaddrs().map(String))
  await until(() => host.services.dht.routingTable.size > 0, 15_000, 'the bad host to join')
  return host
}

/**
 * Provides a key from a bad host until at least one peer took its provider record (kad-dht's
 * provide walks its whole lookup first: on a loaded machine that outlasts any fixed deadline).
 */
async function provide (host: Host, cid: CID): Promise<void> {
  let reached = 0
  await until(async () => {
    try {
      for await (const event of host.services.dht.provide(cid, { signal: AbortSignal.timeout(30_000) })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') reached++
      }
    } catch (err) {
      if (reached === 0) throw err
    }
    return reached > 0
  }, 90_000, () => `a bad host's provide of ${cid} to reach a peer`)
}

describe('marketplace: bad peers and bad input', function () {
  this.timeout(120_000)
  let net: Markets | undefined
  let bad: Host[] = []
  afterEach(async () => {
    await stopHosts(bad)
    bad = []
    await net?.stop()
    net = undefined
  })

  it('still answers a search when providers send 100 MB, garbage, forged records or never answer', async () => {
    net = await startMarkets(4, { searchTimeout: 4000, searchPeerTimeout: 1500 })
    const [A, , , F] = net.nodes
    await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'digits') })
    const word = keywordKey('mnist')

    const huge = await badHost(A.host)
    await huge.handle(MARKET.SEARCH_PROTOCOL, async stream => {
      // announces a 100 MB frame and keeps sending
      stream.send(varint(100 * 1024 * 1024))
      const chunk = new Uint8Array(1024 * 1024).fill(0x41)
      try {
        for (let i = 0; i < 100 && stream.status === 'open'; i++) {
          if (!stream.send(chunk)) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
        }
      } catch {}
    })
    const garbage = await badHost(A.host)
    await garbage.handle(MARKET.SEARCH_PROTOCOL, async stream => {
      const m = messageStream(stream)
      await m.readBytes()
      await m.writeBytes(new TextEncoder().encode('{not json at all'))
      await m.close()
    })
    const forger = await badHost(A.host)
    const forgerKey = await generateKeyPair('Ed25519')
    await forger.handle(MARKET.SEARCH_PROTOCOL, async stream => {
      const m = messageStream(stream)
      await m.readBytes()
      // a record signed by someone else but claiming A as publisher, and a shape that is wrong
      const evil = await signRecord(forgerKey, { namespace: MARKET.PROTOCOL_NAMESPACE, name: 'mnist', seq: Date.now() + 1000, value: { user: 'eve', file: 'mnist.yaml', version: word.toString(), versions: 1, keywords: ['mnist'], description: 'evil' } })
      const text = new TextDecoder().decode(encodeRecord(evil)).replace(evil.publisher, A.host.peerId.toString())
      await m.write({ entries: [{ record: Buffer.from(text).toString('base64') }, { record: 'AAAA' }, { nope: 1 }] })
      await m.close()
    })
    const silent = await badHost(A.host)
    await silent.handle(MARKET.SEARCH_PROTOCOL, async stream => {
      await new Promise(resolve => stream.addEventListener('close', resolve, { once: true }))
    })
    bad = [huge, garbage, forger, silent]
    await Promise.all(bad.map(async h => provide(h, word)))

    const started = Date.now()
    const hits = await F.market.searchRanked(['mnist'])
    const took = Date.now() - started
    assert.equal(hits.length, 1)
    assert.equal(hits[0].publisher, A.host.peerId.toString())
    assert.equal(hits[0].description, 'digits')
    assert.deepEqual(hits[0].holders, [A.host.peerId.toString()])
    assert.ok(took < 5000, `search took ${took} ms`)
  })

  it('refuses content whose bytes do not match its CID and fetches it from an honest provider', async () => {
    net = await startMarkets(3)
    const [A, , F] = net.nodes
    const published = await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'digits') })
    const liar = await badHost(A.host)
    bad = [liar]
    await liar.handle(MARKET.FETCH_PROTOCOL, async stream => {
      const m = messageStream(stream)
      await m.readBytes()
      await m.write({ data: Buffer.from(protocolYaml('mnist', 'tampered')).toString('base64') })
      await m.close()
    })
    const log = paipLogger().forComponent('test')
    await assert.rejects(fetchFrom(F.host, liar.peerId, published.version), { name: 'ContentMismatchError' })
    const bytes = await fetchObject(F.host, createRouting({ host: F.host, logger: paipLogger() }), published.version, log, { prefer: [liar.peerId, A.host.peerId] })
    assert.equal(decodeVersionBlock(published.version, bytes).cid, published.version)
    const pulled = await F.market.pull(`${A.host.peerId}/mnist`)
    assert.match(new TextDecoder().decode(pulled.selected.contentBytes), /digits/)
  })

  it('refuses to publish an invalid protocol, with the validation errors', async () => {
    net = await startMarkets(1)
    const [A] = net.nodes
    await assert.rejects(A.market.publish({ user: 'alice', file: 'bad.yaml', content: new TextEncoder().encode('protocolVersion: 2\nname: bad\n') }),
      (err: any) => err.name === 'ProtocolInvalidError' && err.kind === 'invalid-input' && err.details.problems.length > 0)
    await assert.rejects(A.market.publish({ user: 'alice', file: '../../etc/evil.yaml', content: protocolYaml('evil', 'x') }), { name: 'InvalidNameError' })
  })

  it('refuses records and versions naming files outside the repository', async () => {
    const good = { user: 'u', file: 'a.yaml', version: CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy').toString(), versions: 1, keywords: [], description: '' }
    assert.doesNotThrow(() => decodeProtocolRecordValue(good))
    for (const file of ['../a.yaml', '/etc/a.yaml', 'x/../../a.yaml', '.paip-repo/a.yaml', 'a\\..\\b.yaml', 'a.sh']) {
      assert.throws(() => decodeProtocolRecordValue({ ...good, file }), /bad file path/, file)
    }
    const content = good.version
    const { cid, bytes } = encodeVersion({ path: '../../escape.yaml', content, size: 1, parent: null, seq: 1, author: 'a', time: new Date().toISOString(), message: '' })
    assert.throws(() => decodeVersionBlock(cid, bytes), { name: 'BadObjectError' })
  })
})
