import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { paipLogger } from '../../src/logger.js'
import { createHost } from '../../src/net/host.js'
import { dhtKey, KEY_NAMESPACES } from '../../src/net/keys.js'
import { createRouting } from '../../src/net/routing.js'
import { listenFor, startHosts, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import type { Host } from '../../src/net/host.js'
import type { Routing } from '../../src/net/routing.js'
import type { PeerId } from '@libp2p/interface'

/** A started host with no peers. */
async function loneHost (): Promise<Host> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), ...listenFor('memory'), querySelfInterval: 1000 })
  await host.start()
  return host
}

describe('net: announcing and discovering', function () {
  this.timeout(60_000)
  let hosts: Host[] = []
  let routings: Routing[] = []

  before(async () => {
    hosts = await startHosts(4)
    routings = hosts.map(host => createRouting({ host, logger: paipLogger() }))
    for (const r of routings) await r.start()
  })

  after(async () => {
    for (const r of routings) await r.stop()
    await stopHosts(hosts)
  })

  it('discovers every provider of a key once and yields each one\'s answer as it comes', async () => {
    const key = dhtKey(KEY_NAMESPACES.datasetTag, '#routing-test')
    for (const r of routings.slice(1, 3)) assert.equal((await r.announce([key])).announced, 1)
    const asked: string[] = []
    const answers: string[] = []
    for await (const found of routings[3].discover({ keys: [key, key], ask: async peer => { asked.push(peer.toString()); return [`hello from ${peer.toString()}`] } })) {
      answers.push(found.value)
    }
    const providers = hosts.slice(1, 3).map(h => h.peerId.toString()).sort()
    assert.deepEqual([...asked].sort(), providers)
    assert.deepEqual(answers.sort(), providers.map(p => `hello from ${p}`))
  })

  it('drops a provider whose answer fails or comes too late, and keeps the others\'', async () => {
    const key = dhtKey(KEY_NAMESPACES.datasetTag, '#routing-slow')
    for (const r of routings.slice(0, 3)) await r.announce([key])
    const slow = hosts[1].peerId.toString()
    const failing = hosts[2].peerId.toString()
    const ask = async (peer: PeerId, { signal }: { signal: AbortSignal }): Promise<string[]> => {
      if (peer.toString() === failing) throw new Error('no')
      if (peer.toString() === slow) await new Promise((resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
      return [peer.toString()]
    }
    const started = Date.now()
    const answers: string[] = []
    for await (const found of routings[3].discover({ keys: [key], ask }, { peerTimeout: 500 })) answers.push(found.value)
    assert.deepEqual(answers, [hosts[0].peerId.toString()])
    assert.ok(Date.now() - started < 5000, 'a slow peer only costs its own deadline')
  })

  it('throws when the caller aborts a discovery', async () => {
    const key = dhtKey(KEY_NAMESPACES.datasetTag, '#routing-abort')
    await routings[0].announce([key])
    const controller = new AbortController()
    const found = routings[3].discover({ keys: [key], ask: async () => { controller.abort(new Error('enough')); return [] } }, { signal: controller.signal })
    await assert.rejects((async () => { for await (const _ of found) { /* nothing */ } })(), /enough/)
  })

  it('keeps a key announced on a node alone and announces it once the node has peers', async () => {
    const alone = await loneHost()
    const routing = createRouting({ host: alone, logger: paipLogger() }, { retryInterval: 100 })
    try {
      await routing.start()
      const key = dhtKey(KEY_NAMESPACES.datasetTag, '#routing-alone')
      assert.deepEqual(await routing.announce([key]), { announced: 0, pending: 1 })
      assert.equal(routing.pending().length, 1)
      await alone.dial(hosts[0].getMultiaddrs()[0])
      await until(() => routing.pending().length === 0, 20_000, 'the key to be announced')
      const providers: string[] = []
      for await (const peer of routings[3].providers(key)) providers.push(peer.toString())
      assert.deepEqual(providers, [alone.peerId.toString()])
    } finally {
      await routing.stop()
      await alone.stop()
    }
  })

  it('stops background announcing when stopped, without errors', async () => {
    const alone = await loneHost()
    const routing = createRouting({ host: alone, logger: paipLogger() })
    await routing.start()
    routing.announceLater([dhtKey(KEY_NAMESPACES.job, 'a'), dhtKey(KEY_NAMESPACES.job, 'b')])
    await routing.stop()
    await alone.stop()
  })
})
