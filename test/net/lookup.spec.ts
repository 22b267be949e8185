import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { discover, providers } from '../../src/net/discover.js'
import { dhtKey, KEY_NAMESPACES } from '../../src/net/keys.js'
import { compareDistance, convergence, kadId } from '../../src/net/lookup.js'
import { until } from '../fixtures/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'

const KEY = new TextEncoder().encode('/paip/test/lookup-key')
const ADDRESS = multiaddr('/memory/lookup-test')

async function peers (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/** Peers ordered by their distance to KEY, closest first. */
async function byDistance (list: PeerId[]): Promise<PeerId[]> {
  const target = await kadId(KEY)
  const ids = await Promise.all(list.map(async p => ({ p, kad: await kadId(p.toMultihash().bytes) })))
  return ids.sort((a, b) => compareDistance(target, a.kad, b.kad)).map(x => x.p)
}

/** A kad-dht whose routing table holds `table` (its closestPeers as kad-dht orders them). */
async function dhtWith (table: PeerId[]): Promise<unknown> {
  const sorted = await byDistance(table)
  return { routingTable: { size: table.length, kBucketSize: 20, closestPeers: (_: Uint8Array, { count }: { count: number }) => sorted.slice(0, count) } }
}

const answer = (from: PeerId, closer: PeerId[] = [], addressed = true): QueryEvent => ({
  name: 'PEER_RESPONSE', from, closer: closer.map(id => ({ id, multiaddrs: addressed ? [ADDRESS] : [] })), providers: [], messageName: 'GET_PROVIDERS', messageType: 3, type: 1
} as unknown as QueryEvent)
const dialing = (peer: PeerId): QueryEvent => ({ name: 'DIAL_PEER', peer, type: 7 } as unknown as QueryEvent)
const failure = (from: PeerId): QueryEvent => ({ name: 'QUERY_ERROR', from, error: new Error('dial failed'), type: 3 } as unknown as QueryEvent)

describe('net: when a DHT lookup has converged', () => {
  let self: PeerId
  let all: PeerId[]

  before(async () => {
    [self] = await peers(1)
    all = await byDistance(await peers(16))
  })

  it('converges once the peers closest to the key that it knows of have all answered, not before', async () => {
    const table = all.slice(0, 8)
    const lookup = await convergence(await dhtWith(table), self, KEY, 3)
    // the far ones answering first is not enough
    for (const p of table.slice(3).reverse()) assert.equal(await lookup.observe(answer(p)), false)
    assert.equal(await lookup.observe(answer(table[1])), false)
    assert.equal(await lookup.observe(answer(table[2])), false)
    assert.equal(await lookup.observe(answer(table[0])), true)
  })

  it('waits for a closer peer an answer names, until it answers or fails', async () => {
    const table = all.slice(4, 12)
    const lookup = await convergence(await dhtWith(table), self, KEY, 3)
    assert.equal(await lookup.observe(answer(table[0], [all[0]])), false)
    assert.equal(await lookup.observe(answer(table[1])), false)
    // the three closest known are now all[0], table[0], table[1]: all[0] has not answered
    assert.equal(await lookup.observe(answer(table[2])), false)
    assert.equal(await lookup.observe(failure(all[0])), true, 'a named peer that fails is left out')
  })

  it('is not held up by dead peers of the routing table', async () => {
    const table = all.slice(0, 6)
    const lookup = await convergence(await dhtWith(table), self, KEY, 3)
    assert.equal(await lookup.observe(failure(table[0])), false)
    assert.equal(await lookup.observe(failure(table[1])), false)
    for (const p of table.slice(2, 4)) assert.equal(await lookup.observe(answer(p)), false)
    assert.equal(await lookup.observe(answer(table[4])), true)
  })

  it('is held up by the fake closer peers a hostile peer names only until they fail, and ignores peers named without an address', async () => {
    const table = all.slice(8, 12)
    const invented = all.slice(0, 4)
    const lookup = await convergence(await dhtWith(table), self, KEY, 2)
    assert.equal(await lookup.observe(answer(table[2], all.slice(4, 6), false)), false)
    assert.equal(await lookup.observe(answer(table[3], invented)), false)
    assert.equal(await lookup.observe(answer(table[0])), false)
    assert.equal(await lookup.observe(answer(table[1])), false, 'the invented peers are closer and have not answered')
    for (const p of invented.slice(0, 3)) assert.equal(await lookup.observe(failure(p)), false)
    assert.equal(await lookup.observe(failure(invented[3])), true)
  })

  it('is held up by a peer it asked that does not answer only until that peer is slow', async () => {
    const table = all.slice(0, 4)
    const lookup = await convergence(await dhtWith(table), self, KEY, 2, 200)
    assert.equal(await lookup.observe(dialing(table[0])), false)
    for (const p of table.slice(1, 3)) assert.equal(await lookup.observe(answer(p)), false)
    assert.ok((lookup.nextSlow() ?? Infinity) <= 200, 'it says when to look again')
    await until(() => lookup.converged(), 5000, 'the silent peer to be left out')
    assert.equal(lookup.nextSlow(), undefined)
  })

  it('ends a discovery\'s provider lookup soon after a silent peer among the closest became slow, with the providers named', async () => {
    const key = dhtKey(KEY_NAMESPACES.datasetTag, '#silent')
    const target = await byDistance(all)
    const [silent, ...others] = target.slice(0, 7)
    const [provider] = await peers(1)
    const dht = {
      ...(await dhtWith(target.slice(0, 7)) as object),
      async * findProviders (_: unknown, { signal }: { signal: AbortSignal }) {
        yield dialing(silent)
        for (const p of others) {
          yield dialing(p)
          yield { ...answer(p), providers: [{ id: provider, multiaddrs: [ADDRESS] }] }
          yield { name: 'PROVIDER', from: p, providers: [{ id: provider, multiaddrs: [ADDRESS] }] }
        }
        // the silent peer's request: kad-dht's own deadline is 5 s at least
        await new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
      }
    }
    const host = { peerId: self, services: { dht }, peerStore: { merge: async () => {} } }
    const started = Date.now()
    const found: string[] = []
    for await (const p of providers(host as any, (() => {}) as any, key, { converge: true, timeout: 20_000 })) found.push(p.toString())
    assert.deepEqual(found, [provider.toString()])
    assert.ok(Date.now() - started < 10_000, `ended after ${Date.now() - started} ms, not at the lookup's deadline`)
  })

  it('never counts this node or its own local answer', async () => {
    const table = all.slice(0, 3)
    const lookup = await convergence(await dhtWith(table), self, KEY, 1)
    assert.equal(await lookup.observe(answer(self, [self])), false)
    assert.equal(await lookup.observe(answer(table[0])), true)
  })

  it('yields the providers named by the answer that completes the lookup', async () => {
    const key = dhtKey(KEY_NAMESPACES.datasetTag, '#converged')
    const [closest] = all
    const [provider] = await peers(1)
    const table = await dhtWith([closest])
    const response = { ...answer(closest), providers: [{ id: provider, multiaddrs: [ADDRESS] }] }
    const dht = {
      ...(table as object),
      // kad-dht yields an answer, then its new providers again as a PROVIDER event
      async * findProviders () {
        yield response
        yield { name: 'PROVIDER', from: closest, providers: response.providers }
      }
    }
    const host = { peerId: self, services: { dht }, peerStore: { merge: async () => {} } }
    const found: string[] = []
    for await (const p of providers(host as any, (() => {}) as any, key, { converge: true })) found.push(p.toString())
    assert.deepEqual(found, [provider.toString()])
  })

  describe('a discovery with broader keys', () => {
    const exactKey = dhtKey(KEY_NAMESPACES.protocolKeyword, 'mnist')
    const broadKey = dhtKey(KEY_NAMESPACES.protocolPrefix, 'mnis')

    /** A host whose DHT names `exactProvider` for the exact key (or never ends that lookup when `stall`) and `broadProvider` for the broad one, noting when each lookup starts and ends. */
    async function fakeHost (stall: boolean): Promise<{ host: unknown, order: string[], exactProvider: PeerId, broadProvider: PeerId }> {
      const [exactProvider, broadProvider] = await peers(2)
      const order: string[] = []
      const dht = {
        async * findProviders (key: typeof exactKey, { signal }: { signal: AbortSignal }) {
          const name = key.equals(exactKey) ? 'exact' : 'broad'
          order.push(`${name} start`)
          const provider = name === 'exact' ? exactProvider : broadProvider
          yield { name: 'PROVIDER', from: provider, providers: [{ id: provider, multiaddrs: [ADDRESS] }] }
          // a hostile peer holding the lookup up: it ends only at its deadline
          if (stall && name === 'exact') await new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
          order.push(`${name} end`)
        }
      }
      return { host: { peerId: self, services: { dht }, peerStore: { merge: async () => {} } }, order, exactProvider, broadProvider }
    }

    it('looks the broader keys up once the exact keys\' lookups ended, and asks the providers of both', async () => {
      const { host, order, exactProvider, broadProvider } = await fakeHost(false)
      const asked: string[] = []
      const query = { keys: [exactKey], thenKeys: [broadKey], ask: async (peer: PeerId) => { asked.push(peer.toString()); return [peer.toString()] } }
      for await (const _ of discover(host as any, (() => {}) as any, query)) { /* all answers */ }
      assert.deepEqual(order, ['exact start', 'exact end', 'broad start', 'broad end'])
      assert.deepEqual(asked.sort(), [exactProvider.toString(), broadProvider.toString()].sort())
    })

    it('does not let an exact lookup a hostile peer holds up keep the broader keys from being looked up', async () => {
      const { host, order, broadProvider } = await fakeHost(true)
      const answers: string[] = []
      const query = { keys: [exactKey], thenKeys: [broadKey], ask: async (peer: PeerId) => [peer.toString()] }
      const started = Date.now()
      for await (const found of discover(host as any, (() => {}) as any, query, { thenKeysAfter: 100, findTimeout: 2000, timeout: 3000 })) answers.push(found.value)
      assert.ok(answers.includes(broadProvider.toString()), 'the broader key\'s provider answered')
      assert.deepEqual(order.slice(0, 2), ['exact start', 'broad start'])
      assert.ok(Date.now() - started < 3000, 'the discovery ends at the lookups\' deadline')
    })
  })
})
