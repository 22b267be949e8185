import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createApiClient } from '../client/index.js'
import { SETTINGS } from '../node/config-schema.js'
import { readToken, spawnDaemon, stopDaemon } from './process.js'
import { createNetnsNetwork } from './netns.js'
import { NETNS_API_PORT, NETNS_LIBP2P_PORT } from './constants.js'
import type { NetnsNetwork, NetnsNetworkInit } from './netns.js'
import type { ApiClient } from '../client/index.js'
import type { DaemonProcess } from './process.js'
import type { ChildProcess } from 'node:child_process'

export { cpuTime, DaemonStartError, PAIP_BIN, spawnDaemon, stopDaemon } from './process.js'
export type { DaemonProcess, DaemonStarted, SpawnDaemonOptions } from './process.js'
export { cleanupNetns, createNetnsNetwork, NetnsUnavailableError } from './netns.js'
export type { NetnsNetwork, NetnsNetworkInit, NetnsShaper } from './netns.js'

export interface TestbedInit {
  /** How many nodes, the bootstrap node included (at least 1). */
  nodes: number
  /** Where the node homes go (`<dir>/node0`, ...); default a new temp dir, removed on stop. */
  dir?: string
  /** Extra `paip daemon` flags for every node. */
  args?: string[]
  /** Extra environment for every node (`PAIP_*` settings). */
  env?: Record<string, string>
  /** Start the non-bootstrap nodes this many at a time (default 4). */
  concurrency?: number
  /**
   * Longest one starting daemon may go without using CPU (ms; default 30 s): a start that runs,
   * however slowly on a loaded machine, is waited for (see spawnDaemon).
   */
  startTimeout?: number
  /** Every stderr line of every node. */
  onLog?: (node: number, line: string) => void
  /**
   * Each node in a network namespace of its own on a bridge, packets between nodes delayed
   * and dropped (root only; see netns.ts). Default: every node on loopback.
   */
  netns?: Omit<NetnsNetworkInit, 'nodes'>
  signal?: AbortSignal
}

export interface TestbedNode {
  readonly index: number
  readonly home: string
  readonly peerId: string
  readonly url: string
  /** Its libp2p addresses (with /p2p/<peer id>). */
  readonly addresses: string[]
  readonly token: string
  /** Its (last) start: wall time to its `started` line and the CPU it used until then (ms). */
  readonly start: { ms: number, cpuMs?: number }
  /** The running process (undefined once stopped). */
  readonly process: ChildProcess | undefined
  /** A client with the node's admin token. */
  readonly client: ApiClient
  readonly running: boolean
  /** The last lines of its stderr. */
  log: () => string
  /** SIGTERM and wait for a clean exit (SIGKILL after a deadline); resolves with the exit code. */
  stop: () => Promise<number | null>
  /** Sends a signal (e.g. 'SIGKILL') and waits for the process to end. */
  kill: (signal?: NodeJS.Signals) => Promise<void>
  /** Starts it again on the same home and the same ports (stopping it first if running). */
  restart: () => Promise<void>
}

export interface Testbed {
  readonly dir: string
  readonly nodes: TestbedNode[]
  readonly bootstrap: TestbedNode
  /** The namespaces the nodes run in (with `netns`). */
  readonly network?: NetnsNetwork
  /** Stops every node and removes the temp dir (if the testbed made it). */
  stop: () => Promise<void>
}

/**
 * Starts a bootstrap node and `nodes - 1` more as separate `paip daemon` processes on
 * loopback (or each in its own network namespace, with `netns`), each with its own home and
 * ports, all bootstrapping from the first (netns nodes from a random earlier one too).
 * On failure everything started is stopped again, the namespaces removed.
 */
export async function startTestbed (init: TestbedInit): Promise<Testbed> {
  if (!Number.isInteger(init.nodes) || init.nodes < 1) throw new RangeError('nodes must be a positive integer')
  const ownDir = init.dir == null
  const dir = init.dir ?? await mkdtemp(join(tmpdir(), 'paip-testbed-'))
  const nodes: TestbedNode[] = []
  let network: NetnsNetwork | undefined
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await network?.destroy()
    if (ownDir) await rm(dir, { recursive: true, force: true })
  }
  try {
    if (init.netns != null) network = await createNetnsNetwork({ ...init.netns, nodes: init.nodes })
    const env = childEnv({ ...(network == null ? {} : { PAIP_ALLOW: `/ip4/${network.subnet.replace('/', '/ipcidr/')}` }), ...init.env })
    const place = (i: number): Placement => network == null
      ? { host: '127.0.0.1', tcpPort: '0', apiPort: '0' }
      : { host: network.nodes[i].address, tcpPort: String(NETNS_LIBP2P_PORT), apiPort: String(NETNS_API_PORT), wrap: network.wrap(i) }
    const bootstrap = await startTestbedNode(0, dir, [], env, init, place(0))
    nodes.push(bootstrap)
    const tcpOf = (node: TestbedNode): string => node.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws')) ?? node.addresses[0]
    const concurrency = init.concurrency ?? 4
    for (let i = 1; i < init.nodes; i += concurrency) {
      const batch = []
      for (let j = i; j < Math.min(i + concurrency, init.nodes); j++) {
        const peers = [tcpOf(bootstrap)]
        if (network != null && i > 1) peers.push(tcpOf(nodes[1 + Math.floor(Math.random() * (i - 1))]))
        batch.push(startTestbedNode(j, dir, peers, env, init, place(j)).then(node => { nodes[j] = node }))
      }
      const results = await Promise.allSettled(batch)
      const failed = results.find(r => r.status === 'rejected')
      if (failed != null) throw (failed as PromiseRejectedResult).reason
    }
    return { dir, nodes, bootstrap, network, stop: stopAll }
  } catch (err) {
    await stopAll()
    throw err
  }
}

/** Where a node listens, and the command prefix that puts it there. */
interface Placement { host: string, tcpPort: string, apiPort: string, wrap?: string[] }

async function startTestbedNode (index: number, dir: string, bootstrap: string[], env: Record<string, string | undefined>, init: TestbedInit, place: Placement): Promise<TestbedNode> {
  const home = join(dir, `node${index}`)
  await mkdir(home, { recursive: true })
  let listen = `/ip4/${place.host}/tcp/${place.tcpPort}`
  let apiPort = place.apiPort
  const argsFor = (): string[] => [
    '--api-host', place.host, '--api-port', apiPort, '--listen', listen,
    ...(bootstrap.length > 0 ? ['--bootstrap', ...bootstrap] : []),
    ...(init.args ?? [])
  ]
  const spawnIt = async (): Promise<DaemonProcess> => spawnDaemon({
    home,
    args: argsFor(),
    env,
    wrap: place.wrap,
    timeout: init.startTimeout,
    signal: init.signal,
    onLog: init.onLog == null ? undefined : line => { init.onLog?.(index, line) }
  })
  let daemon: DaemonProcess | undefined = await spawnIt()
  const first = daemon.started
  // a restart keeps the same ports, so other nodes' bootstrap lists stay right
  const tcp = first.addresses.map(a => multiaddr(a)).find(a => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  const tcpPort = tcp?.getComponents().find(c => c.name === 'tcp')?.value
  if (tcpPort != null) listen = `/ip4/${place.host}/tcp/${tcpPort}`
  apiPort = new URL(first.url).port
  const token = await readToken(home)
  const client = createApiClient({ url: first.url, token })
  let lastLog = daemon.log

  const node: TestbedNode = {
    index,
    home,
    peerId: first.peerId,
    url: first.url,
    token,
    client,
    get start () { return { ms: (daemon?.started ?? first).ms, cpuMs: (daemon?.started ?? first).cpuMs } },
    get addresses () { return daemon?.started.addresses ?? first.addresses },
    get process () { return daemon?.child },
    get running () { return daemon != null && daemon.child.exitCode == null && daemon.child.signalCode == null },
    log: () => daemon?.log() ?? lastLog(),
    async stop () {
      if (daemon == null) return null
      const current = daemon
      lastLog = current.log
      const { code } = await stopDaemon(current)
      if (daemon === current) daemon = undefined
      return code
    },
    async kill (signal = 'SIGKILL') {
      if (daemon == null) return
      const current = daemon
      lastLog = current.log
      current.child.kill(signal)
      await current.exited
      if (daemon === current) daemon = undefined
    },
    async restart () {
      await node.stop()
      daemon = await spawnIt()
      lastLog = daemon.log
    }
  }
  return node
}

/**
 * The parent's environment without its `PAIP_*` settings. Testbed nodes keep the node's own
 * DHT self-lookup interval: once a second on every node costs work that grows with the square
 * of the node count and starved 25 nodes on two cores; join lookups fill the tables instead.
 */
function childEnv (extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const setting of SETTINGS) delete env[setting.env]
  delete env.PAIP_HOME
  delete env.PAIP_TOKEN
  return { ...env, ...extra }
}
