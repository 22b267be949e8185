import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { PaipError } from '../errors.js'
import { isProcessAlive } from '../process-alive.js'
import { sleep } from '../time.js'
import * as C from './constants.js'
import type { ChildProcess } from 'node:child_process'

/**
 * A network of Linux network namespaces for the latency testbed:
 *
 * ```
 *  root ns: pns<X>-host 10.77.X.1 ──veth── hub ns paip-ns<X>-hub: bridge pns<X>-br
 *                                              ├── pns<X>-n0 ──veth── paip-ns<X>-n0: eth0 10.77.X.2
 *                                              ├── pns<X>-n1 ──veth── paip-ns<X>-n1: eth0 10.77.X.3 ...
 * ```
 *
 * X is a free instance number (several testbeds can run at once); the root namespace gets one
 * veth end and the route to 10.77.X.0/24, nothing else. Packets between two nodes are delayed
 * and dropped on the way (netem on each node's egress, or, on a kernel without sch_netem, a
 * user-space delayer on an nfqueue of the hub's bridge); packets to and from the host (the
 * testbed talking to the APIs) are not.
 */
export interface NetnsNetwork {
  /** The instance number X in every name and in the subnet 10.77.X.0/24. */
  readonly instance: number
  readonly subnet: string
  /** The root namespace's address on the bridge. */
  readonly hostAddress: string
  /** How the delay and loss are applied. */
  readonly shaper: NetnsShaper
  readonly nodes: ReadonlyArray<{ namespace: string, address: string }>
  /** The command prefix that runs a command in node `i`'s namespace, killed when its parent dies. */
  wrap: (index: number) => string[]
  /** Kills what runs in the namespaces and removes them, the veths and the bridge (idempotent). */
  destroy: () => Promise<void>
}

export type NetnsShaper = 'netem' | 'nfqueue' | 'none'

export interface NetnsNetworkInit {
  nodes: number
  /** One-way delay added to every packet between two nodes (ms); RTT is twice this. */
  delay?: number
  /** Share of packets between two nodes dropped, per direction (percent). */
  loss?: number
  /** `auto`: netem where the kernel has it, else the nfqueue delayer. */
  shaper?: NetnsShaper | 'auto'
}

/** The network namespaces could not be made (not root, no iproute2, no netns support...). */
export class NetnsUnavailableError extends PaipError {
  static name = 'NetnsUnavailableError'
  name = 'NetnsUnavailableError'
  constructor (message: string, readonly stderr = '') { super(`${message}${stderr === '' ? '' : `: ${stderr.trim()}`}`, 'unavailable', { stderr }) }
}

const DELAYER = fileURLToPath(new URL('../../../scripts/netns-delay.py', import.meta.url))

const nsName = (x: number, node: number | 'hub'): string => `${C.NETNS_PREFIX}${x}-${node === 'hub' ? 'hub' : `n${node}`}`
const linkName = (x: number, end: string): string => `${C.NETNS_LINK_PREFIX}${x}-${end}`
const address = (x: number, host: number): string => `${C.NETNS_NETWORK_PREFIX}.${x}.${host}`

/** Runs a command, resolving with stdout, rejecting with its stderr. */
async function run (command: string, args: string[], input?: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err != null) reject(new NetnsUnavailableError(`${command} ${args.slice(0, 4).join(' ')} failed`, stderr === '' ? err.message : stderr))
      else resolve(stdout)
    })
    if (input != null) child.stdin?.end(input)
  })
}

/** `ip [-n ns] -batch -` with one command a line: stops at the first that fails. */
async function ipBatch (lines: string[], namespace?: string): Promise<void> {
  if (lines.length === 0) return
  await run('ip', [...(namespace == null ? [] : ['-n', namespace]), '-batch', '-'], lines.join('\n') + '\n')
}

/**
 * Claims a free instance number: its pid file, created exclusively, names this process as the
 * owner; a number whose owner is dead is cleaned up and taken over. A number whose subnet any
 * existing route of the root namespace overlaps is skipped.
 */
async function claimInstance (): Promise<number> {
  await mkdir(C.NETNS_STATE_DIR, { recursive: true })
  const routes = await run('ip', ['-4', 'route', 'show'])
  for (let x = 0; x < 256; x++) {
    const subnet = `${C.NETNS_NETWORK_PREFIX}.${x}.`
    const file = `${C.NETNS_STATE_DIR}/${x}.pid`
    const owner = await ownerOf(file)
    if (owner === 'alive') continue
    if (owner === 'dead') await removeInstance(x)
    else if (routes.split('\n').some(line => overlaps(line, subnet))) continue
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      return x
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
    }
  }
  throw new NetnsUnavailableError(`no free testbed subnet in ${C.NETNS_NETWORK_PREFIX}.0.0/16`)
}

/** Whether a route line of `ip route` covers addresses starting `10.77.X.` (or is ours). */
function overlaps (line: string, subnet: string): boolean {
  const destination = line.split(' ')[0]
  if (destination === '' || destination === 'default') return false
  const [net, bits] = destination.split('/')
  const prefix = Number(bits ?? 32)
  if (net.startsWith(subnet)) return true
  // a wider route (10.0.0.0/8, 10.77.0.0/16) covers the subnet as well
  const octets = net.split('.').map(Number)
  const want = subnet.split('.').slice(0, 3).map(Number)
  const covered = Math.floor(Math.min(prefix, 24) / 8)
  return prefix <= 24 && octets.slice(0, covered).every((o, i) => o === want[i])
}

async function ownerOf (file: string): Promise<'alive' | 'dead' | 'none'> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return 'none'
    throw err
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? 'alive' : 'dead'
}

/** Everything of instance X: its processes killed, namespaces, root veth and pid file removed. */
async function removeInstance (x: number): Promise<void> {
  const names = (await listNamespaces()).filter(n => n.startsWith(`${C.NETNS_PREFIX}${x}-`))
  for (const name of names) await killNamespace(name)
  for (const name of names) await run('ip', ['netns', 'delete', name]).catch(() => {})
  await run('ip', ['link', 'delete', linkName(x, 'host')]).catch(() => {})
  await rm(`${C.NETNS_STATE_DIR}/${x}.pid`, { force: true })
}

async function listNamespaces (): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']).catch(() => '')
  return out.split('\n').map(line => line.split(' ')[0]).filter(name => name.startsWith(C.NETNS_PREFIX))
}

/** SIGKILLs every process in a namespace and waits (briefly) until they are gone. */
async function killNamespace (name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = (await run('ip', ['netns', 'pids', name]).catch(() => '')).split('\n').map(Number).filter(p => p > 0)
    if (pids.length === 0) return
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
    await sleep(20)
  }
}

/**
 * Removes every testbed network whose owning process is gone: left behind by a testbed that
 * crashed or was killed. Idempotent; resolves with the instance numbers it removed.
 */
export async function cleanupNetns (): Promise<number[]> {
  const instances = new Set<number>()
  for (const name of await listNamespaces()) {
    const x = Number(name.slice(C.NETNS_PREFIX.length).split('-')[0])
    if (Number.isInteger(x)) instances.add(x)
  }
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '')
  for (const match of links.matchAll(new RegExp(`^\\d+: ${C.NETNS_LINK_PREFIX}(\\d+)-host[@:]`, 'gm'))) instances.add(Number(match[1]))
  for (const file of await readdir(C.NETNS_STATE_DIR).catch(() => [])) {
    const x = Number(file.replace(/\.pid$/, ''))
    if (file.endsWith('.pid') && Number.isInteger(x)) instances.add(x)
  }
  const removed: number[] = []
  for (const x of [...instances].sort((a, b) => a - b)) {
    if (await ownerOf(`${C.NETNS_STATE_DIR}/${x}.pid`) === 'alive') continue
    await removeInstance(x)
    removed.push(x)
  }
  return removed
}

/** Checks what the testbed needs before touching anything. */
async function checkHost (): Promise<void> {
  if (process.platform !== 'linux') throw new NetnsUnavailableError('the netns testbed needs Linux network namespaces')
  if (process.getuid?.() !== 0) throw new NetnsUnavailableError('the netns testbed must run as root (it creates network namespaces)')
  try {
    await run('ip', ['-V'])
  } catch {
    throw new NetnsUnavailableError('the netns testbed needs iproute2 (`ip`, `tc`): apt-get install iproute2')
  }
}

/** Creates the namespaces, veths, bridge and shaping for `init.nodes` nodes; removes all of it on failure. */
export async function createNetnsNetwork (init: NetnsNetworkInit): Promise<NetnsNetwork> {
  if (!Number.isInteger(init.nodes) || init.nodes < 1 || init.nodes > C.NETNS_MAX_NODES) {
    throw new RangeError(`nodes must be an integer from 1 to ${C.NETNS_MAX_NODES}`)
  }
  await checkHost()
  await cleanupNetns()
  const x = await claimInstance()
  const hub = nsName(x, 'hub')
  const nodes = Array.from({ length: init.nodes }, (_, i) => ({ namespace: nsName(x, i), address: address(x, i + 2) }))
  let delayer: ChildProcess | undefined
  let destroyed = false
  const onExit = (): void => { destroySync(x, [hub, ...nodes.map(n => n.namespace)]) }
  const destroy = async (): Promise<void> => {
    if (destroyed) return
    destroyed = true
    process.off('exit', onExit)
    delayer?.kill('SIGKILL')
    await removeInstance(x)
  }
  // a testbed that exits without stopping (an uncaught error) still removes its network
  process.on('exit', onExit)
  try {
    await ipBatch([
      `netns add ${hub}`,
      ...nodes.map(n => `netns add ${n.namespace}`),
      `link add ${linkName(x, 'host')} type veth peer name ${linkName(x, 'h')} netns ${hub}`,
      `addr add ${address(x, 1)}/24 dev ${linkName(x, 'host')}`,
      `link set ${linkName(x, 'host')} up`,
      ...nodes.map((n, i) => `link add ${linkName(x, `n${i}`)} netns ${hub} type veth peer name eth0 netns ${n.namespace}`)
    ])
    await ipBatch([
      'link set lo up',
      `link add ${linkName(x, 'br')} type bridge`,
      `link set ${linkName(x, 'br')} up`,
      `link set ${linkName(x, 'h')} master ${linkName(x, 'br')} up`,
      ...nodes.map((_, i) => `link set ${linkName(x, `n${i}`)} master ${linkName(x, 'br')} up`)
    ], hub)
    await Promise.all(nodes.map(async n => { await ipBatch(['link set lo up', `addr add ${n.address}/24 dev eth0`, 'link set eth0 up'], n.namespace) }))
    const shaper = await shape(x, nodes.map(n => n.namespace), init)
    delayer = shaper.delayer
    return {
      instance: x,
      subnet: `${address(x, 0)}/24`,
      hostAddress: address(x, 1),
      shaper: shaper.kind,
      nodes,
      wrap: (i: number) => ['ip', 'netns', 'exec', nodes[i].namespace, 'setpriv', '--pdeathsig', 'KILL', '--'],
      destroy
    }
  } catch (err) {
    await destroy()
    throw err
  }
}

async function shape (x: number, namespaces: string[], init: NetnsNetworkInit): Promise<{ kind: NetnsShaper, delayer?: ChildProcess }> {
  const delay = init.delay ?? C.NETNS_DELAY
  const loss = init.loss ?? C.NETNS_LOSS
  const wanted = init.shaper ?? 'auto'
  if (wanted === 'none' || (delay === 0 && loss === 0)) return { kind: 'none' }
  if (wanted !== 'nfqueue') {
    try {
      // each node's egress: a packet from A to B waits at A, B's answer at B
      for (const ns of namespaces) await run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${delay}ms`, 'loss', `${loss}%`])
      return { kind: 'netem' }
    } catch (err) {
      if (wanted === 'netem') throw err
      for (const ns of namespaces) await run('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => {})
    }
  }
  return { kind: 'nfqueue', delayer: await startDelayer(x, delay, loss) }
}

/**
 * The nfqueue shaper: the hub's bridge hands IPv4 packets to iptables (br_netfilter, set in the
 * hub namespace only); those from one node port to another go to queue 0, where
 * scripts/netns-delay.py holds each for the delay or drops it.
 */
async function startDelayer (x: number, delay: number, loss: number): Promise<ChildProcess> {
  const hub = nsName(x, 'hub')
  const host = linkName(x, 'h')
  await run('ip', ['netns', 'exec', hub, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'])
  // real-time priority, as the kernel's netem would have: on a busy machine a delayer waiting
  // for the CPU would add its wait to every packet
  const rt = await run('chrt', ['--rr', '1', 'true']).then(() => ['chrt', '--rr', '1'], () => [])
  const child = spawn('ip', ['netns', 'exec', hub, 'setpriv', '--pdeathsig', 'KILL', '--', ...rt, 'python3', DELAYER, '0', String(delay), String(loss)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { fail('did not start') }, C.START_TIMEOUT)
    const fail = (why: string): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new NetnsUnavailableError(`the packet delayer (python3 ${DELAYER}) ${why}`, stderr))
    }
    child.once('error', err => { fail(err.message) })
    child.once('exit', code => { fail(`exited with code ${code}`) })
    createInterface({ input: child.stdout! }).once('line', line => {
      if (line !== 'ready') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve()
    })
  })
  const ipt = (args: string): string => `-A FORWARD -m physdev ${args}`
  for (const rule of [ipt(`--physdev-in ${host} -j ACCEPT`), ipt(`--physdev-out ${host} -j ACCEPT`), ipt('--physdev-is-bridged -j NFQUEUE --queue-num 0')]) {
    await run('ip', ['netns', 'exec', hub, 'iptables', ...rule.split(' ')])
  }
  return child
}

/** The synchronous last resort on process exit: kill and delete (no awaiting possible there). */
function destroySync (x: number, namespaces: string[]): void {
  for (const ns of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').map(Number).filter(p => p > 0) ?? []
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
  }
  for (const ns of namespaces) spawnSync('ip', ['netns', 'delete', ns])
  spawnSync('ip', ['link', 'delete', linkName(x, 'host')])
  spawnSync('rm', ['-f', `${C.NETNS_STATE_DIR}/${x}.pid`])
}
