import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paip } from '../fixtures/cli.js'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('node: CLI commands', () => {
  let a: TestNode
  let b: TestNode

  before(async () => {
    a = await startNode()
    const bootstrap = a.node.components.host.getMultiaddrs().map(x => x.toString())
    b = await startNode({ config: { network: { bootstrap } } })
    await until(async () => (await b.anonymous.get<any>('/health-check'))['routing-table'] > 0, 15_000, 'B to join A')
  })
  after(async () => {
    await b?.stop()
    await a?.stop()
  })

  it('`paip id` finds the local node through its home', async () => {
    const run = await paip(['--json', '--home', b.home, 'id'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json().peerId, b.node.components.peerId.toString())
    const text = await paip(['id'], { env: { PAIP_HOME: b.home } })
    assert.equal(text.stdout.split('\n')[0], b.node.components.peerId.toString())
  })

  it('`paip peers` lists the peers; `--api` talks to another node', async () => {
    const run = await paip(['--json', '--api', a.url, 'peers'])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(run.json().peers.map((p: any) => p.peerId), [b.node.components.peerId.toString()])
    const text = await paip(['--api', a.url, 'peers'])
    assert.match(text.stdout, new RegExp(`^${b.node.components.peerId.toString()} connected dht`))
  })

  it('`paip ping <peer>` prints the round trip', async () => {
    const run = await paip(['--json', '--home', a.home, 'ping', b.node.components.peerId.toString(), '-n', '2'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json().rtts.length, 2)
    const bad = await paip(['--home', a.home, 'ping', 'nonsense'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^paip: not a valid peer ID or multiaddr: nonsense\n$/)
  })

  it('`paip status` shows the node status', async () => {
    const run = await paip(['--json', '--home', a.home, 'status'])
    assert.equal(run.code, 0, run.stderr)
    const { node } = run.json()
    assert.equal(node['node-id'], a.node.components.peerId.toString())
    assert.equal(node.url, a.url)
    assert.equal(node.peers, 1)
    const text = await paip(['--home', a.home, 'status'])
    assert.match(text.stdout, /peers: +1 connected/)
  })

  it('uses the local node\'s admin token automatically, and no token for other URLs', async () => {
    const { resolveApiTarget } = await import('../../src/cli/api.js')
    const io = { env: {}, cwd: process.cwd() } as any
    const local = await resolveApiTarget({ globals: { json: false, home: a.home }, io })
    assert.equal(local.url, a.url)
    assert.equal(local.local, true)
    assert.equal(local.token, a.client.token)
    const remote = await resolveApiTarget({ globals: { json: false, home: a.home, api: b.url }, io })
    assert.equal(remote.token, undefined)
    const withEnv = await resolveApiTarget({ globals: { json: false, home: a.home, api: b.url }, io: { ...io, env: { PAIP_TOKEN: 'x' } } })
    assert.equal(withEnv.token, 'x')
  })

  it('says "no node running" in one line when no daemon answers', async () => {
    const home = await mkdtemp(join(tmpdir(), 'paip-cli-'))
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise(resolve => server.close(resolve))
    try {
      for (const command of [['status'], ['id'], ['peers'], ['ping', b.node.components.peerId.toString()]]) {
        const run = await paip(['--home', home, '--api', `http://127.0.0.1:${port}`, ...command])
        assert.equal(run.code, 7)
        assert.equal(run.stderr, `paip: no node running at http://127.0.0.1:${port}: start one with \`paip daemon\`\n`)
      }
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })

  it('`paip id --generate` makes an identity with no node', async () => {
    const run = await paip(['--json', 'id', '--generate'])
    assert.equal(run.code, 0, run.stderr)
    const { peerId, privateKey } = run.json()
    assert.match(peerId, /^12D3KooW/)
    const { decodePrivateKey } = await import('../../src/node/identity.js')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    assert.equal(peerIdFromPrivateKey(decodePrivateKey(privateKey, 'test')).toString(), peerId)
  })

  it('every node command has --help with an example', async () => {
    for (const command of [['daemon'], ['id'], ['peers'], ['ping'], ['status'], ['config', 'show']]) {
      const run = await paip([...command, '--help'])
      assert.equal(run.code, 0)
      assert.match(run.stdout, /Example/, command.join(' '))
    }
  })
})
