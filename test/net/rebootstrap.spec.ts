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
})
