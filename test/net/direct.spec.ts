import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { provideDirect } from '../../src/net/direct.js'
import { startHostGrid } from '../fixtures/hosts.js'
import type { HostGrid } from '../fixtures/hosts.js'
import type { PeerId } from '@libp2p/interface'

async function keyOf (text: string): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(text)))
}

describe('net: sending a provider record to the closest peers known', function () {
  this.timeout(120_000)
  let grid: HostGrid | undefined
  afterEach(async () => { await grid?.stop(); grid = undefined })

  it('counts a peer only once it stored the provider record (kad-dht\'s ADD_PROVIDER has no answer)', async () => {
    grid = await startHostGrid(4, { peers: 3 })
    const [self, ...others] = grid.hosts
    const key = await keyOf('acknowledged provide')
    const acks: Array<{ peer: PeerId, ok: boolean }> = []
    for await (const ack of provideDirect(self.services.dht, self.peerId, key, self.getMultiaddrs())) acks.push(ack)
    assert.equal(acks.length, others.length)
    for (const ack of acks) {
      assert.ok(ack.ok, `${ack.peer} acknowledged`)
      // read at once, no wait: the acknowledgement came after the peer stored it
      const holder = others.find(h => h.peerId.equals(ack.peer))
      assert.ok(holder != null)
      const providers: PeerId[] = await (holder.services.dht as any).providers.getProviders(key)
      assert.ok(providers.some(p => p.equals(self.peerId)), `${ack.peer} holds the provider record`)
    }
  })

  it('does not count a peer that never gets to the end of the message', async () => {
    grid = await startHostGrid(3, { peers: 2 })
    const [self, stuck, honest] = grid.hosts
    const handlers = (stuck.services.dht as any).rpc.handlers
    handlers.ADD_PROVIDER.handle = async () => await new Promise(() => {})
    const key = await keyOf('stuck provide')
    const acks = new Map<string, boolean>()
    const controller = new AbortController()
    for await (const ack of provideDirect(self.services.dht, self.peerId, key, self.getMultiaddrs(), { signal: controller.signal })) {
      acks.set(ack.peer.toString(), ack.ok)
      // the honest peer's acknowledgement is all that comes before the caller gives up
      if (ack.peer.equals(honest.peerId)) controller.abort()
    }
    assert.equal(acks.get(honest.peerId.toString()), true)
    assert.equal(acks.get(stuck.peerId.toString()), false)
  })
})
