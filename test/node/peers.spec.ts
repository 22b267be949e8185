import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { listenAddressesOf } from '../../src/net/addresses.js'
import { createHost } from '../../src/net/host.js'
import { stopHosts } from '../fixtures/hosts.js'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import { PAIP_BIN } from '../repo/child.js'
import type { Host } from '../../src/net/host.js'
import type { TestNode } from '../fixtures/daemon.js'

const run = promisify(execFile)

const tcpPort = (address: string): string | undefined => multiaddr(address).getComponents().find(c => c.name === 'tcp')?.value

describe('node: peers are listed at the addresses they listen on', () => {
  let a: TestNode
  let b: TestNode

  before(async () => {
    a = await startNode()
    const bootstrap = a.node.components.host.getMultiaddrs().map(x => x.toString())
    // B dials A: at A the connection is inbound, from B's ephemeral port
    b = await startNode({ config: { network: { bootstrap } } })
    await until(async () => (await a.anonymous.get<any>('/health-check'))['routing-table'] > 0, 15_000, 'A to hold B')
  })
  after(async () => {
    await b?.stop()
    await a?.stop()
  })

  it('`paip peers` on the node dialled shows the dialling peer at its listen port, not the inbound connection\'s ephemeral port', async () => {
    const hostA = a.node.components.host
    const bId = b.node.components.peerId.toString()
    const inbound = hostA.getConnections().find(c => c.remotePeer.toString() === bId && c.direction === 'inbound')
    assert.ok(inbound != null, 'A holds an inbound connection from B')
    const ephemeral = tcpPort(inbound.remoteAddr.toString())
    const listenPorts = b.node.components.host.getMultiaddrs().map(x => tcpPort(x.toString()))
    assert.ok(!listenPorts.includes(ephemeral))

    // identify runs right after the connection opens: wait for its listen addresses
    let peer: any
    await until(async () => {
      const { stdout } = await run(process.execPath, [PAIP_BIN, '--json', '--api', a.url, 'peers'])
      peer = JSON.parse(stdout).peers.find((p: any) => p.peerId === bId)
      return peer?.addresses.length > 0
    }, 15_000, 'A to know B\'s listen addresses')
    for (const address of peer.addresses) {
      assert.ok(listenPorts.includes(tcpPort(address)), `${address} is one B listens on`)
      assert.ok(address.endsWith(`/p2p/${bId}`), address)
    }
    const { stdout: text } = await run(process.execPath, [PAIP_BIN, '--api', a.url, 'peers'])
    const line = text.split('\n').find(l => l.startsWith(bId)) ?? ''
    assert.ok(listenPorts.includes(tcpPort(line.split(' ').at(-1) ?? '')), line)
  })
})

describe('net: listenAddressesOf', () => {
  let hosts: Host[] = []

  afterEach(async () => {
    await stopHosts(hosts)
    hosts = []
  })

  async function start (listen: string[], bootstrap: string[] = []): Promise<Host> {
    const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen, bootstrap })
    await host.start()
    hosts.push(host)
    return host
  }

  it('gives identify\'s listen addresses, the ones on the host the peer is reached at first', async () => {
    // B listens on two loopback addresses, and on a port nobody connected from
    const a = await start(['/ip4/127.0.0.1/tcp/0'])
    const b = await start(['/ip4/127.0.0.2/tcp/0', '/ip4/127.0.0.1/tcp/0'], a.getMultiaddrs().map(x => x.toString()))
    const listening = b.getMultiaddrs().map(x => x.toString())
    let addresses: string[] = []
    await until(async () => {
      addresses = (await listenAddressesOf(a, b.peerId)).map(x => x.toString())
      return addresses.length === listening.length
    }, 15_000, 'A to learn B\'s listen addresses')
    assert.deepEqual([...addresses].sort(), [...listening].sort())
    // B dialled A from 127.0.0.1, so its 127.0.0.1 address comes first
    const reachedAt = a.getConnections(b.peerId)[0].remoteAddr.getComponents().find(c => c.name === 'ip4')?.value
    assert.equal(multiaddr(addresses[0]).getComponents().find(c => c.name === 'ip4')?.value, reachedAt)
  })

  it('gives nothing for a peer it knows no address of', async () => {
    const a = await start(['/ip4/127.0.0.1/tcp/0'])
    const other = await start(['/ip4/127.0.0.1/tcp/0'])
    assert.deepEqual(await listenAddressesOf(a, other.peerId), [])
  })
})
