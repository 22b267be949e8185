/**
 * The compose testbed, run for real: `npm run compose-test` (scripts/compose-test.sh builds the
 * images, then runs this file). Not part of `npm test`'s `*.spec.js` set: it needs Docker with
 * compose, or podman with podman-compose, and the images built.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createApiClient } from '../../src/client/index.js'
import { createHost } from '../../src/net/host.js'
import { until } from '../fixtures/wait.js'
import type { ApiClient } from '../../src/client/index.js'
import type { ChildProcess } from 'node:child_process'
import { publishedProtocol } from '../fixtures/published-protocol.js'

const execFileAsync = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const PAIP_BIN = join(root, 'bin', 'paip')
const engine = process.env.PAIP_COMPOSE_ENGINE === 'docker' ? 'docker' : 'podman'
const project = process.env.PAIP_COMPOSE_PROJECT ?? 'paip-compose-test'

/** The services of docker-compose.yml and their API ports published on 127.0.0.1. */
const SERVICES = { bootstrap: 9292, node1: 9293, node2: 9294, node3: 9295 } as const
type Service = keyof typeof SERVICES
const NAMES = Object.keys(SERVICES) as Service[]

/** The bootstrap node's fixed peer ID (its key is in docker-compose.yml). */
const BOOTSTRAP_ID = '12D3KooWJ1UNWkkhYb8u7qMN3oC2L7ppQuGjnThP5LpU7mBn4VPd'

const PROTOCOL = publishedProtocol({ name: 'composezebra', description: 'composezebra: a protocol pushed on one container and pulled on another', commands: ['echo zebra'] })

/** `docker compose -p <project> <args>` or `podman-compose -p <project> <args>`. */
async function compose (args: string[], timeout = 180_000): Promise<string> {
  const [command, prefix] = engine === 'docker' ? ['docker', ['compose', '-p', project]] : ['podman-compose', ['-p', project]]
  try {
    const { stdout } = await execFileAsync(command, [...prefix, ...args], { cwd: root, timeout, maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (err: any) {
    throw new Error(`${command} ${[...prefix, ...args].join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`)
  }
}

/** A shell script run in a service's container (`compose exec -T`); its stdout. */
async function inside (service: Service, script: string): Promise<string> {
  return await compose(['exec', '-T', service, 'sh', '-c', script], 60_000)
}

/** `paip --json <args>` in a service's container (the CLI finds its node from PAIP_HOME=/data). */
async function paipIn (service: Service, args: string): Promise<any> {
  return jsonIn(await inside(service, `node bin/paip --json ${args}`))
}

/** The JSON document in what `compose exec` printed (podman-compose adds lines of its own). */
function jsonIn (out: string): any {
  const lines = out.split('\n')
  const start = lines.findIndex(l => l.startsWith('{'))
  const end = lines.findLastIndex(l => l.startsWith('}'))
  assert.ok(start >= 0 && end >= start, `no JSON in: ${out}`)
  return JSON.parse(lines.slice(start, end + 1).join('\n'))
}

/** Containers of the project, running or not: `name state` lines. */
async function containers (): Promise<string[]> {
  const { stdout } = await execFileAsync(engine, ['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}} {{.State}}'])
  const podmanLabelled = engine === 'podman'
    ? (await execFileAsync('podman', ['ps', '-a', '--filter', `label=io.podman.compose.project=${project}`, '--format', '{{.Names}} {{.State}}'])).stdout
    : ''
  return [...new Set(`${stdout}\n${podmanLabelled}`.split('\n').map(l => l.trim()).filter(l => l !== ''))]
}

/** The host's own address on the compose network (its gateway): where containers reach this host. */
async function gatewayOfGrid (): Promise<string> {
  const network = `${project}_grid`
  const { stdout } = await execFileAsync(engine, ['network', 'inspect', network])
  const info = JSON.parse(stdout)[0]
  const gateway = info?.subnets?.[0]?.gateway ?? info?.IPAM?.Config?.[0]?.Gateway
  assert.ok(typeof gateway === 'string' && gateway !== '', `gateway of ${network}: ${stdout}`)
  return gateway
}

const ip4 = (address: string): string | undefined => multiaddr(address).getComponents().find(c => c.name === 'ip4')?.value

describe('compose testbed: the Dockerfile and docker-compose.yml, run with ' + engine, function () {
  this.timeout(300_000)
  const api: Partial<Record<Service, ApiClient>> = {}
  const ids: Partial<Record<Service, string>> = {}
  let hostNode: ChildProcess | undefined
  let hostHome: string | undefined
  let hostData: string | undefined
  let hostOutput = ''

  before(async () => {
    await compose(['down', '-v']).catch(() => {})
    await compose(['up', '-d'])
  })

  after(async () => {
    if (hostNode != null && hostNode.exitCode == null) {
      hostNode.kill('SIGTERM')
      await new Promise(resolve => hostNode?.once('exit', resolve))
    }
    for (const dir of [hostHome, hostData]) if (dir != null) await rm(dir, { recursive: true, force: true })
    await compose(['down', '-v']).catch(err => { console.error(err.message) })
    // podman-compose leaves the project's network behind (docker compose removes it)
    if (engine === 'podman') await execFileAsync('podman', ['network', 'rm', '-f', `${project}_grid`]).catch(() => {})
  })

  it('answers the health check of every node on its published port', async () => {
    for (const name of NAMES) {
      const client = createApiClient({ url: `http://127.0.0.1:${SERVICES[name]}` })
      let health: any
      await until(async () => {
        health = await client.get<any>('/health-check')
        return typeof health['node-id'] === 'string'
      }, 120_000, `${name} to answer on 127.0.0.1:${SERVICES[name]}`)
      ids[name] = health['node-id']
      api[name] = client
    }
    assert.equal(ids.bootstrap, BOOTSTRAP_ID)
    assert.equal(new Set(Object.values(ids)).size, NAMES.length, 'four distinct nodes')
  })

  it('fills every node\'s routing table with the other three', async () => {
    for (const name of NAMES) {
      const others = NAMES.filter(n => n !== name).map(n => ids[n])
      let peers: any[] = []
      await until(async () => {
        peers = (await paipIn(name, 'peers')).peers
        return others.every(id => peers.some(p => p.peerId === id && p.inRoutingTable === true))
      }, 120_000, `${name}'s routing table to hold the other three`)
      // listed at the addresses they listen on (port 4001 or 4002), never an ephemeral port
      for (const peer of peers.filter(p => others.includes(p.peerId))) {
        for (const address of peer.addresses) {
          const port = multiaddr(address).getComponents().find(c => c.name === 'tcp')?.value
          assert.ok(port === '4001' || port === '4002', `${name} lists ${peer.peerId} at ${address}`)
        }
      }
    }
  })

  it('finds a dataset added in node2 by POST /search on node3, at an address that can be dialled', async () => {
    await inside('node2', 'mkdir -p /tmp/digits && printf "a,b\\n1,2\\n" > /tmp/digits/train.csv')
    const added = await paipIn('node2', 'datasets add /tmp/digits --name compose-digits --tags "#composegrid" --public')
    assert.ok(JSON.stringify(added).includes('compose-digits'), JSON.stringify(added))

    let pair: [string, string] | undefined
    await until(async () => {
      const answer = await api.node3!.post<{ 'node-addresses': Array<[string, string]> }>('/search', { query: ['#composegrid'] })
      pair = answer['node-addresses'].find(([id]) => id === ids.node2)
      return pair != null
    }, 120_000, 'node3 to find the dataset of node2')
    const [id, address] = pair!
    assert.ok(address.endsWith(`/p2p/${id}`), address)
    assert.notEqual(ip4(address), '127.0.0.1', `${address} is not node2's own loopback`)

    // a fresh libp2p node on this host dials that very address (over the compose network)
    const probe = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
    await probe.start()
    try {
      const connection = await probe.dial(multiaddr(address), { signal: AbortSignal.timeout(20_000) })
      assert.equal(connection.remotePeer.toString(), ids.node2)
    } finally {
      await probe.stop()
    }
  })

  it('pulls on node3 a protocol pushed on node1', async () => {
    const out = await inside('node1', [
      'mkdir -p /tmp/lab && cd /tmp/lab && node /app/bin/paip init . >/dev/null',
      `printf '%s' '${PROTOCOL}' > composezebra.yaml`,
      'node /app/bin/paip add composezebra.yaml >/dev/null',
      'node /app/bin/paip commit -m "first version" >/dev/null',
      'node /app/bin/paip --json push'
    ].join(' && '))
    const pushed = jsonIn(out)
    assert.equal(pushed.pushed.length, 1, JSON.stringify(pushed))

    let hit: any
    await until(async () => {
      const found = await paipIn('node3', 'search composezebra --timeout 3000')
      hit = found.results.find((r: any) => r.name === 'composezebra')
      return hit != null
    }, 120_000, 'node3 to find the protocol pushed on node1')
    assert.equal(hit.publisher, ids.node1)
    const pulled = await inside('node3', [
      'mkdir -p /tmp/mine && cd /tmp/mine && node /app/bin/paip init . >/dev/null',
      `node /app/bin/paip pull ${hit.publisher as string}/composezebra >/dev/null`,
      'cat composezebra.yaml'
    ].join(' && '))
    assert.ok(pulled.includes(PROTOCOL), pulled)
  })

  it('lets a node on this host join the grid through the published bootstrap port: it finds their datasets and they find its', async () => {
    // the containers reach this host at its address on the compose network: listen there too
    const gateway = await gatewayOfGrid()
    hostHome = await mkdtemp(join(tmpdir(), 'paip-compose-host-'))
    hostNode = spawn(process.execPath, [PAIP_BIN, 'daemon', '--home', hostHome, '--api-port', '0',
      '--listen', '/ip4/127.0.0.1/tcp/0', `/ip4/${gateway}/tcp/0`,
      '--bootstrap', `/ip4/127.0.0.1/tcp/4001/p2p/${BOOTSTRAP_ID}`], { stdio: ['ignore', 'pipe', 'pipe'] })
    hostNode.stdout?.on('data', chunk => { hostOutput += String(chunk) })
    hostNode.stderr?.on('data', chunk => { hostOutput += String(chunk) })
    let url = ''
    await until(async () => {
      url = (await readFile(join(hostHome!, 'api'), 'utf8')).trim()
      return url !== ''
    }, 60_000, `the host node to start (${hostOutput})`)
    const token = (await readFile(join(hostHome, 'token'), 'utf8')).trim()
    const host = createApiClient({ url, token })
    const hostId = (await host.get<any>('/health-check'))['node-id']

    // it sees the containers' nodes
    await until(async () => {
      const run = await execFileAsync(process.execPath, [PAIP_BIN, '--json', '--home', hostHome!, 'peers'])
      const peers: any[] = JSON.parse(run.stdout).peers
      return NAMES.every(n => peers.some(p => p.peerId === ids[n] && p.inRoutingTable === true))
    }, 120_000, 'the host node to hold all four container nodes')

    // it finds node2's dataset
    await until(async () => {
      const answer = await host.post<{ 'node-addresses': Array<[string, string]> }>('/search', { query: ['#composegrid'] })
      return answer['node-addresses'].some(([id]) => id === ids.node2)
    }, 120_000, 'the host node to find node2\'s dataset')

    // and a container finds the host node's
    hostData = await mkdtemp(join(tmpdir(), 'paip-compose-weather-'))
    await writeFile(join(hostData, 'days.csv'), 't\n21\n')
    await execFileAsync(process.execPath, [PAIP_BIN, '--home', hostHome, 'datasets', 'add', hostData, '--name', 'host-weather', '--tags', '#composehost', '--public'])
    let pair: [string, string] | undefined
    await until(async () => {
      const answer = await api.node3!.post<{ 'node-addresses': Array<[string, string]> }>('/search', { query: ['#composehost'] })
      pair = answer['node-addresses'].find(([id]) => id === hostId)
      return pair != null
    }, 120_000, 'node3 to find the host node\'s dataset')
    // node3 names the host at its address on the compose network, where the containers reach it
    assert.equal(ip4(pair![1]), gateway, pair![1])

    hostNode.kill('SIGTERM')
    await new Promise(resolve => hostNode?.once('exit', resolve))
  })

  it('leaves nothing running after `compose down`', async () => {
    await compose(['down', '-v'])
    assert.deepEqual(await containers(), [])
  })
})
