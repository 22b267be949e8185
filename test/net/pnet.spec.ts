import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { createHost } from '../../src/net/host.js'
import { stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import type { Host } from '../../src/net/host.js'

async function hostWith (swarmKey?: Uint8Array, bootstrap: string[] = []): Promise<Host> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, swarmKey })
  await host.start()
  return host
}

function swarmKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

describe('net: private network (swarm key)', () => {
  let hosts: Host[] = []
  afterEach(async () => { await stopHosts(hosts); hosts = [] })

  it('lets nodes holding the same swarm key form a grid', async () => {
    const key = swarmKey()
    const a = await hostWith(key)
    hosts.push(a)
    const b = await hostWith(key, a.getMultiaddrs().map(String))
    hosts.push(b)
    await until(() => b.services.dht.routingTable.size > 0 && a.services.dht.routingTable.size > 0, 10_000, 'the two keyed nodes to meet')
  })

  it('keeps out a node without the key, and one with another key', async () => {
    const a = await hostWith(swarmKey())
    hosts.push(a)
    const outsider = await hostWith()
    const stranger = await hostWith(swarmKey())
    hosts.push(outsider, stranger)
    for (const other of [outsider, stranger]) {
      await assert.rejects(other.dial(a.getMultiaddrs()[0], { signal: AbortSignal.timeout(2_000) }))
    }
    assert.equal(a.getConnections().length, 0)
    assert.equal(a.services.dht.routingTable.size, 0)
  })
})
