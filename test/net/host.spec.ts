import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { messageStream, request, handleRequests } from '../../src/net/rpc.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import type { Host } from '../../src/net/host.js'

describe('net: host', () => {
  // one grid for the cases: none changes what another looks at
  let hosts: Host[] = []
  before(async () => { hosts = await startHosts(4) })
  after(async () => { await stopHosts(hosts) })

  it('speaks the paip DHT protocol, not the public IPFS one', async () => {
    const protocols = hosts[0].getProtocols()
    assert.ok(protocols.includes('/paip/kad/1.0.0'))
    assert.ok(!protocols.includes('/ipfs/kad/1.0.0'))
  })

  it('finds a provider announced by another node', async () => {
    const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('hello paip')))
    for await (const _ of hosts[1].services.dht.provide(cid)) { /* drain */ }
    const found: string[] = []
    for await (const event of hosts[3].services.dht.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'PROVIDER') found.push(...event.providers.map(p => p.id.toString()))
    }
    assert.ok(found.includes(hosts[1].peerId.toString()))
  })

  it('answers a request and carries a remote error back by name', async () => {
    const decodeName = (v: any): { name: string } => {
      if (typeof v?.name !== 'string') throw new Error('name must be a string')
      return v
    }
    await handleRequests(hosts[0], '/paip/test/1.0.0', decodeName, async req => {
      if (req.name === 'bad') throw Object.assign(new Error('nope'), { name: 'NopeError' })
      return { greeting: `hello ${req.name}` }
    })
    const answer = await request(hosts[1], hosts[0].peerId, '/paip/test/1.0.0', { name: 'grid' }, v => v as any)
    assert.deepEqual(answer, { greeting: 'hello grid' })
    await assert.rejects(request(hosts[1], hosts[0].peerId, '/paip/test/1.0.0', { name: 7 }, v => v),
      (err: any) => err.name === 'RemoteError' && err.remoteName === 'BadPeerMessageError')
  })

  it('never lets a peer choose that our caller is unauthorized, or an error kind we do not know', async () => {
    // a hostile handler: it answers every request with the error envelope it likes
    await hosts[0].handle('/paip/test-kind/1.0.0', async (stream) => {
      const messages = messageStream(stream)
      const { kind } = await messages.read(v => v as any)
      await messages.write({ error: { name: 'UnauthorizedError', message: 'log in again', kind } })
      await messages.close()
    })
    const ask = async (kind: string): Promise<unknown> => await request(hosts[1], hosts[0].peerId, '/paip/test-kind/1.0.0', { kind }, v => v)
    await assert.rejects(ask('unauthorized'), (err: any) => err.name === 'RemoteError' && err.remoteName === 'UnauthorizedError' && err.kind === 'forbidden')
    await assert.rejects(ask('no-space'), (err: any) => err.kind === 'unavailable')
    await assert.rejects(ask('constructor'), (err: any) => err.kind === 'unavailable')
    await assert.rejects(ask('not-found'), (err: any) => err.kind === 'not-found')
  })
})
