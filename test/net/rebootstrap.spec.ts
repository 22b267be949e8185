import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createHost } from '../../src/net/host.js'
import { until } from '../fixtures/wait.js'
import type { Host } from '../../src/net/host.js'

describe('net: bootstrap dialled again', () => {
  const hosts: Host[] = []
  afterEach(async () => { await Promise.allSettled(hosts.splice(0).map(async h => { await h.stop() })) })

  it('joins a node to its bootstrap peer that came up after it, without anyone dialling it', async () => {
    const bootKey = await generateKeyPair('Ed25519')
    const bootAddress = `/memory/${randomUUID()}`
    const lonely = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [`/memory/${randomUUID()}`], addressFilter: 'all', bootstrap: [`${bootAddress}/p2p/${peerIdFromPrivateKey(bootKey).toString()}`] })
    hosts.push(lonely)
    await lonely.start()
    // the bootstrap peer is not up: the first dial fails
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.equal(lonely.getConnections().length, 0)
    const boot = await createHost({ privateKey: bootKey, listen: [bootAddress], addressFilter: 'all' })
    hosts.push(boot)
    await boot.start()
    await until(() => lonely.services.dht.routingTable.size > 0, 30_000, 'the lonely node to have its bootstrap peer in its routing table')
    assert.ok(lonely.getConnections(boot.peerId).length > 0)
  })
  it('joins again a node whose routing table emptied while its bootstrap connection stayed open', async () => {
    const boot = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [`/memory/${randomUUID()}`], addressFilter: 'all' })
    hosts.push(boot)
    await boot.start()
    const bootAddress = `${boot.getMultiaddrs()[0].toString()}`
    const node = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [`/memory/${randomUUID()}`], addressFilter: 'all', bootstrap: [bootAddress] })
    hosts.push(node)
    await node.start()
    await until(() => node.services.dht.routingTable.size > 0, 30_000, 'the node to join its bootstrap peer')
    // as after an identify that timed out: connected, but the DHT does not know the peer
    // (kad-dht's own routing table, whose public type shows only its size)
    await (node.services.dht.routingTable as unknown as { remove: (peer: typeof boot.peerId) => Promise<void> }).remove(boot.peerId)
    assert.equal(node.services.dht.routingTable.size, 0)
    assert.ok(node.getConnections(boot.peerId).length > 0)
    await until(() => node.services.dht.routingTable.size > 0, 30_000, 'the node to have its bootstrap peer in its routing table again')
  })
})
