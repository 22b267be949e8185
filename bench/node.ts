import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../src/client/index.js'
import { JOIN_IDLE_INTERVAL } from '../src/node/constants.js'
import { cpuTime, PAIP_BIN, spawnDaemon, startTestbed, stopDaemon } from '../src/testbed/index.js'
import { second, sleep } from '../src/time.js'
import { byCause, connectInspector, profileRemote, unbundle } from './profile.js'
import type { TestbedNode } from '../src/testbed/index.js'
import type { Bench, BenchOptions } from './types.js'

/** Targets from the issues (16: idle RSS < 100 MiB, idle CPU < 1%, RSS back within 20% after load). */
const COLD_START_TARGET = 1.5 * second
const IDLE_RSS_TARGET = 100
const IDLE_CPU_TARGET = 1
const AFTER_LOAD_TARGET = 1.2
/** How long idle CPU is measured over, after the tables filled and a settling pause. */
const IDLE_WINDOW = 60 * second
const SETTLE = 20 * second
/**
 * A grid settles longer: join lookups back off from 1 s, doubling while they find nobody new,
 * so the first minutes after the tables filled still hold a few.
 */
const GRID_SETTLE = 2 * 60 * second
/** The load run: this many searches at once on one node, then RSS a minute later. */
const PARALLEL_SEARCHES = 200
const AFTER_LOAD_WAIT = 60 * second
/**
 * Idle CPU of a daemon in an idle 10-node grid before issue 16 (same machine, same harness):
 * the DHT's self-query every 30 s, a join lookup every 30 s forever in a grid under 21 nodes,
 * libp2p's connection monitor pinging every connection every 10 s.
 */
const IDLE_CPU_BEFORE = 1.6
/** Cold starts measured each way (the bundled CLI, and tsc's modules with PAIP_UNBUNDLED=1). */
const COLD_STARTS = 5
/** `paip status` runs measured against a running daemon. */
const STATUS_RUNS = 5
/** A routing table counts as full when it holds every other node, or a whole k-bucket (20). */
const K = 20
/** Give up waiting for full routing tables after this long. */
const FILL_DEADLINE = 90 * second
/**
 * A missed idle target's reason: one grid daemon's CPU profile over this long, sampled this
 * often (its inspector opened by SIGUSR1 on a port of its own: NODE_OPTIONS=--inspect-port).
 */
const PROFILE_WINDOW = 60 * second
const PROFILE_INTERVAL_US = 1000
/** PAIP_BENCH_NODE=idle: only the idle figures (one daemon, the 10-node grid), ~6 min instead of ~12. */
const ONLY_IDLE = process.env.PAIP_BENCH_NODE === 'idle'
/**
 * What an idle daemon's CPU goes to, by the code it was running (the first match from the
 * running function towards the root of its stack).
 */
const CAUSES: Array<[string, RegExp]> = [
  ['peer store (read, encode, write to leveldb)', /@libp2p\/peer-store|datastore-level|classic-level|abstract-level/],
  ['kad-dht', /@libp2p\/kad-dht/],
  ['ping', /@libp2p\/ping/],
  ['identify', /@libp2p\/identify/],
  ['Noise, Yamux, TCP and stream plumbing', /libp2p-noise|chacha20poly1305|libp2p-yamux|@libp2p\/tcp|@libp2p\/utils|multistream-select|@libp2p\/prometheus-metrics|node:net|stream_base_commons|node:internal\/streams|wasm:/],
  ['metrics scrapes (prom-client)', /prom-client/],
  ['paip', /\/dist\/src\//],
  ['libp2p', /node_modules\/libp2p\//],
  ['garbage collector', /^\(garbage collector\)$/],
  ['V8 and native work outside JavaScript ((program))', /^\(program\)$/]
]

/**
 * The grid node: idle RSS and CPU of one daemon (and with V8's defaults), cold start to healthy,
 * routing tables of 10 and 25 nodes, idle CPU and RSS in the 10-node grid and RSS after a load run.
 */
export const run: Bench = async ({ signal, log, report }) => {
  const lone = await loneDaemon({ signal, log, report })
  if (!ONLY_IDLE) await coldStarts({ signal, log, report })

  for (const nodes of ONLY_IDLE ? [10] : [10, 25]) {
    log(`starting ${nodes} nodes...`)
    const t0 = performance.now()
    // each node's inspector, once a SIGUSR1 opens it (on a port of its own), to profile one
    const inspectors = new Map<number, string>()
    // and each node's join lookups (paip's, src/node/join.ts: its debug line per lookup)
    const joins = new Array<number>(nodes).fill(0)
    const testbed = await startTestbed({
      nodes,
      signal,
      env: { NODE_OPTIONS: '--inspect-port=127.0.0.1:0', DEBUG: 'paip:node:join' },
      onLog: (node, line) => {
        if (line.includes('join lookup')) joins[node]++
        const url = /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1]
        if (url != null) inspectors.set(node, url)
      }
    })
    try {
      const started = performance.now()
      const cpu = testbed.nodes.map(n => n.start.cpuMs ?? 0)
      // a start is waited for while it uses CPU (spawnDaemon): on a loaded machine it is slow, not failed
      report({ name: `${nodes} nodes: all processes started`, value: started - t0, unit: 'ms', note: `one start ${(median(testbed.nodes.map(n => n.start.ms)) / second).toFixed(1)} s median, of which on a CPU ${(median(cpu) / second).toFixed(1)} s; 4 at a time, load average ${loadavg()[0].toFixed(1)}` })
      const want = Math.min(nodes - 1, K)
      const deadline = Date.now() + FILL_DEADLINE
      let sizes: number[] = []
      while (Date.now() < deadline) {
        sizes = await Promise.all(testbed.nodes.map(async n => (await n.client.get<any>('/health-check', { signal }))['routing-table'] as number))
        if (sizes.every(s => s >= want)) break
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      const filled = performance.now()
      const full = sizes.filter(s => s >= want).length
      if (full === nodes) {
        report({ name: `${nodes} nodes: routing tables full after start`, value: filled - started, unit: 'ms', note: `every table holds >= ${want} peers` })
      } else {
        report({ name: `${nodes} nodes: tables full after ${FILL_DEADLINE / second} s`, value: full, unit: `of ${nodes}`, note: `want >= ${want} peers each; sizes min ${Math.min(...sizes)}, median ${median(sizes)}` })
      }
      if (nodes === 10) await idleGrid(testbed.nodes, lone, inspectors, joins, { signal, log, report })
    } finally {
      await testbed.stop()
    }
  }
  return undefined
}

/** One cold start: wall-clock until healthy, CPU the process used by then, its start phases. */
interface ColdStart {
  ms: number
  cpu: number
  /** CPU seconds by phase (`paip_start_phase_seconds{clock="cpu"}` on GET /metrics). */
  phases: Map<string, number>
}

/**
 * Daemons started on fresh homes until their health check answers: wall-clock, the CPU they
 * used by then and what it went to (the start phases each serves on GET /metrics), with the
 * bundled CLI (what bin/paip runs) and with tsc's separate modules (`PAIP_UNBUNDLED=1`, before);
 * then the CPU and time of a `paip status` against a running daemon.
 */
async function coldStarts ({ signal, log, report }: BenchOptions): Promise<void> {
  for (const unbundled of [false, true]) {
    log(`${COLD_STARTS} cold starts${unbundled ? ' with PAIP_UNBUNDLED=1' : ''}...`)
    const runs: ColdStart[] = []
    for (let i = 0; i < COLD_STARTS; i++) {
      runs.push(await coldStart(unbundled, signal, async url => {
        if (unbundled || i > 0) return
        const statuses: Array<{ ms: number, cpu: number }> = []
        for (let j = 0; j < STATUS_RUNS; j++) statuses.push(await childCpu([PAIP_BIN, '--api', url, 'status'], signal))
        report({ name: '`paip status` against a running daemon: CPU', value: median(statuses.map(r => r.cpu)), unit: 's', note: `median of ${STATUS_RUNS}; wall-clock ${median(statuses.map(r => r.ms)).toFixed(0)} ms` })
      }))
    }
    const ms = runs.map(r => r.ms)
    const why = phaseBreakdown(runs)
    if (unbundled) {
      report({ name: 'cold start to healthy, tsc\'s modules (PAIP_UNBUNDLED=1, before)', value: median(ms), unit: 'ms', note: `CPU ${median(runs.map(r => r.cpu)).toFixed(2)} s per start; ${why}` })
    } else {
      report({ name: `cold start to healthy (median of ${COLD_STARTS}, fresh home)`, value: median(ms), unit: 'ms', target: COLD_START_TARGET, note: `all: ${ms.map(m => m.toFixed(0)).join(', ')} ms; load average ${loadavg()[0].toFixed(1)}`, ...(median(ms) > COLD_START_TARGET ? { reason: why } : {}) })
      report({ name: 'CPU of one daemon start, until healthy', value: median(runs.map(r => r.cpu)), unit: 's', note: why })
    }
  }
}

async function coldStart (unbundled: boolean, signal: AbortSignal, whileUp: (url: string) => Promise<void>): Promise<ColdStart> {
  const home = await mkdtemp(join(tmpdir(), 'paip-bench-'))
  try {
    const t0 = performance.now()
    const env = { PATH: process.env.PATH, ...(unbundled ? { PAIP_UNBUNDLED: '1' } : {}) }
    const daemon = await spawnDaemon({ home, args: ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], env, signal })
    try {
      const { url, pid } = daemon.started
      await createApiClient({ url }).get('/health-check', { signal })
      const ms = performance.now() - t0
      const cpu = (await cpuTime(pid) ?? NaN) / second
      const phases = new Map<string, number>()
      const text = await (await fetch(`${url}/metrics`, { signal })).text()
      for (const [, phase, value] of text.matchAll(/^paip_start_phase_seconds\{phase="([^"]+)",clock="cpu"\} ([0-9.e+-]+)$/gm)) phases.set(phase, Number(value))
      await whileUp(url)
      return { ms, cpu, phases }
    } finally {
      await stopDaemon(daemon)
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/** "why (CPU by phase, median)": each phase's median CPU, and what came after the API listened. */
function phaseBreakdown (runs: ColdStart[]): string {
  const names = [...new Set(runs.flatMap(r => [...r.phases.keys()]))]
  const parts = names.map(name => `${name} ${(median(runs.map(r => r.phases.get(name) ?? 0)) * 1000).toFixed(0)}`)
  const after = median(runs.map(r => r.cpu - [...r.phases.values()].reduce((a, b) => a + b, 0)))
  return `CPU ms by start phase (median, measured by the daemon): ${parts.join(', ')}, after the API listened until healthy ${(after * 1000).toFixed(0)}`
}

/**
 * Runs `node <args>` to its end: its wall-clock and the CPU it used (the growth of this
 * process's children's CPU in /proc/self/stat, which counts a child once it was waited for).
 */
async function childCpu (args: string[], signal: AbortSignal): Promise<{ ms: number, cpu: number }> {
  const children = async (): Promise<number> => {
    const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1].split(' ')
    return (Number(fields[13]) + Number(fields[14])) / 100
  }
  const before = await children()
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { stdio: 'ignore', env: { PATH: process.env.PATH }, signal })
  const code = await new Promise<number | null>((resolve, reject) => { child.once('exit', resolve); child.once('error', reject) })
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`)
  return { ms: performance.now() - t0, cpu: await children() - before }
}

/**
 * One daemon alone, idle: its RSS and CPU, with the V8 settings the daemon applies to itself
 * and without them (`PAIP_V8_DEFAULTS=1`), to show what they are worth.
 */
async function loneDaemon ({ signal, log, report }: BenchOptions): Promise<Lone | undefined> {
  let lone: Lone | undefined
  for (const v8Defaults of [false, true]) {
    const home = await mkdtemp(join(tmpdir(), 'paip-bench-'))
    try {
      const env = { PATH: process.env.PATH, ...(v8Defaults ? { PAIP_V8_DEFAULTS: '1' } : {}) }
      const daemon = await spawnDaemon({ home, args: ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], env, signal })
      try {
        log(`one daemon${v8Defaults ? ' with V8\'s defaults' : ''}: ${SETTLE / second} s to idle, then CPU over ${IDLE_WINDOW / second} s...`)
        await sleep(SETTLE, signal)
        const [cpu] = await cpuPercent([daemon.started.pid], IDLE_WINDOW, signal)
        const rss = await rssMiB(daemon.started.pid)
        if (v8Defaults) {
          report({ name: 'idle RSS of one daemon, V8 defaults (before)', value: rss, unit: 'MiB', note: 'PAIP_V8_DEFAULTS=1: no --semi-space-growth-factor=1, no --optimize-for-size' })
        } else {
          lone = { cpu, rss: await rssParts(daemon.started.pid, daemon.started.url, signal) }
          const why = rss > IDLE_RSS_TARGET ? describeRss(lone.rss) : undefined
          report({ name: 'idle RSS of one daemon', value: rss, unit: 'MiB', target: IDLE_RSS_TARGET, ...(why == null ? {} : { reason: why }) })
          report({ name: 'idle CPU of one daemon alone', value: cpu, unit: '% of a core', target: IDLE_CPU_TARGET })
        }
      } finally {
        await stopDaemon(daemon)
      }
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  }
  return lone
}

/** The lone daemon's idle figures, that the grid's are held against. */
interface Lone { cpu: number, rss: RssParts }

/**
 * The daemons of an idle 10-node grid (tables full): CPU per daemon over a minute; then a load
 * run (PARALLEL_SEARCHES searches at once on one node) and that node's RSS a minute later.
 */
async function idleGrid (nodes: TestbedNode[], lone: Lone | undefined, inspectors: Map<number, string>, joins: number[], { signal, log, report }: BenchOptions): Promise<void> {
  log(`idle grid: ${GRID_SETTLE / second} s to settle, then CPU over ${IDLE_WINDOW / second} s...`)
  await sleep(GRID_SETTLE, signal)
  const pids = nodes.map(n => n.process?.pid).filter((p): p is number => p != null)
  // every daemon's counters around the window (scraped outside it), for what it exchanged in it
  const countersBefore = await Promise.all(nodes.map(async n => await scrape(n.url, signal)))
  const joinsBefore = [...joins]
  const cpu = await cpuPercent(pids, IDLE_WINDOW, signal)
  const joined = joins.map((j, i) => j - joinsBefore[i])
  const counters = await Promise.all(nodes.map(async n => await scrape(n.url, signal)))
  const traffic = `${describeTraffic(countersBefore, counters)}; of the lookups behind them, ${joined.reduce((a, b) => a + b, 0)} were paip's join lookups (${joined.filter(j => j > 0).length} of the ${nodes.length} daemons ran one: they back off from 1 s, doubling while the table stays as it is, to one every ${JOIN_IDLE_INTERVAL / 60 / second} min, so a grid ${((GRID_SETTLE + IDLE_WINDOW) / 60 / second).toFixed(0)} min after its tables filled still runs them; each asks every other node)`
  const cpuWhy = median(cpu) > IDLE_CPU_TARGET ? await profileReason(nodes, cpu, inspectors, `${traffic}; a daemon alone idled at ${lone?.cpu.toFixed(2) ?? '?'}%`, log, signal) : undefined
  report({ name: 'idle CPU of a daemon in a 10-node grid, median', value: median(cpu), unit: '% of a core', target: IDLE_CPU_TARGET, note: `max ${Math.max(...cpu).toFixed(2)}%; before issue 16: ${IDLE_CPU_BEFORE}% median${cpuWhy == null ? `; ${traffic}` : ''}`, ...(cpuWhy == null ? {} : { reason: cpuWhy }) })
  const rss = await Promise.all(pids.map(rssMiB))
  const middle = nodes[rss.indexOf(median(rss))]
  const rssWhy = median(rss) > IDLE_RSS_TARGET && middle.process?.pid != null
    ? describeRss(await rssParts(middle.process.pid, middle.url, signal), lone?.rss)
    : undefined
  report({ name: 'idle RSS of a daemon in a 10-node grid, median', value: median(rss), unit: 'MiB', target: IDLE_RSS_TARGET, note: `max ${Math.max(...rss).toFixed(0)} MiB; ${connectionsNote(counters)}`, ...(rssWhy == null ? {} : { reason: rssWhy }) })

  const node = nodes[nodes.length - 1]
  const pid = node.process?.pid
  if (pid == null) return
  const idle = await rssMiB(pid)
  log(`load run: ${PARALLEL_SEARCHES} searches at once on node${node.index}...`)
  let peak = idle
  const sampler = setInterval(() => { void rssMiB(pid).then(r => { peak = Math.max(peak, r) }, () => {}) }, 200)
  try {
    await Promise.allSettled(Array.from({ length: PARALLEL_SEARCHES }, async (_, i) =>
      node.client.get(`/repo/search/${['mnist', 'cifar', 'bert', 'resnet'][i % 4]}${i}`, { query: { timeout: 3000 }, signal })))
  } finally {
    clearInterval(sampler)
  }
  log(`waiting ${AFTER_LOAD_WAIT / second} s...`)
  await sleep(AFTER_LOAD_WAIT, signal)
  const after = await rssMiB(pid)
  report({ name: 'RSS a minute after 200 parallel searches / idle', value: after / idle, unit: 'x', target: AFTER_LOAD_TARGET, note: `idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, a minute later ${after.toFixed(0)} MiB` })
}

/** CPU each process used over `ms`, in % of one core (from /proc/<pid>/stat). */
async function cpuPercent (pids: number[], ms: number, signal: AbortSignal): Promise<number[]> {
  const ticks = async (pid: number): Promise<number> => {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  }
  const before = await Promise.all(pids.map(ticks))
  const t0 = performance.now()
  await sleep(ms, signal)
  const after = await Promise.all(pids.map(ticks))
  const seconds = (performance.now() - t0) / second
  // Linux counts in USER_HZ, 100 a second
  return after.map((t, i) => (t - before[i]) / 100 / seconds * 100)
}

/** An idle daemon's resident memory by kind (MiB), from /proc and its GET /metrics. */
interface RssParts { file: number, anon: number, heap: number, used: number, old: number, young: number, large: number, bytecode: number, code: number, external: number, threads: string }

async function rssParts (pid: number, url: string, signal: AbortSignal): Promise<RssParts> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024
  const text = await (await fetch(`${url}/metrics`, { signal })).text()
  const metric = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024
  const space = (name: string): number => metric(`nodejs_heap_space_size_used_bytes\\{space="${name}"\\}`)
  return {
    file: kib('RssFile'),
    anon: kib('RssAnon'),
    heap: metric('nodejs_heap_size_total_bytes'),
    used: metric('nodejs_heap_size_used_bytes'),
    old: space('old'),
    young: space('new'),
    large: space('large_object') + space('code_large_object'),
    bytecode: space('trusted'),
    code: space('code'),
    external: metric('nodejs_external_memory_bytes'),
    threads: status.match(/Threads:\s+(\d+)/)?.[1] ?? '?'
  }
}

/**
 * What an idle daemon's resident memory is made of, measured: file-backed pages (the node binary:
 * V8's builtins, node's own JavaScript, ICU data once a collator or date format runs) against
 * anonymous ones, and of those the V8 heap by space; with `lone`, each as a difference to a
 * daemon alone (what being in a grid adds).
 */
function describeRss (p: RssParts, lone?: RssParts): string {
  const mb = (n: number, was?: number): string => `${n.toFixed(1)} MiB${was == null ? '' : ` (${n - was >= 0 ? '+' : ''}${(n - was).toFixed(1)} on a lone daemon's)`}`
  const rest = (x: RssParts): number => x.anon - x.heap - x.external
  return `measured (/proc status, the daemon's heap statistics${lone == null ? '' : '; against the lone daemon above'}): ${mb(p.file, lone?.file)} file-backed (pages of the node binary itself, a bare \`node\` has ~34 MiB; +2.6 MiB of ICU collation data that @libp2p/peer-store's localeCompare pages in), ` +
    `${mb(p.anon, lone?.anon)} anonymous: V8 heap ${mb(p.heap, lone?.heap)} (old space ${mb(p.old, lone?.old)}: module sources, function data and the node's state; bytecode ${mb(p.bytecode, lone?.bytecode)}; machine code ${mb(p.code, lone?.code)}; young objects ${mb(p.young, lone?.young)}; large objects ${mb(p.large, lone?.large)}; committed but free ${mb(p.heap - p.used, lone == null ? undefined : lone.heap - lone.used)}), ` +
    `${mb(p.external, lone?.external)} external (buffers, leveldb), the rest ${mb(rest(p), lone == null ? undefined : rest(lone))}: malloc and ${p.threads} threads' stacks`
}

/** A daemon's counters and gauges from GET /metrics, by series (`name{labels}`). */
async function scrape (url: string, signal: AbortSignal): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { signal })).text()
  const series = new Map<string, number>()
  for (const [, name, value] of text.matchAll(/^([a-zA-Z0-9_:]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/gm)) series.set(name, Number(value))
  return series
}

/** Sum of the series of `metric` whose labels match `labels` (all when not given). */
function total (series: Map<string, number>, metric: string, labels = /.*/): number {
  let sum = 0
  for (const [name, value] of series) if ((name === metric || name.startsWith(`${metric}{`)) && labels.test(name)) sum += value
  return sum
}

/** What the daemons exchanged over the idle window (median per daemon, from their libp2p metrics). */
function describeTraffic (before: Array<Map<string, number>>, after: Array<Map<string, number>>): string {
  const delta = (metric: string, labels?: RegExp): number => median(after.map((a, i) => total(a, metric, labels) - total(before[i], metric, labels)))
  const bytes = (protocol: string): string => `${(delta('libp2p_data_transfer_bytes_total', new RegExp(`protocol="${protocol.replaceAll('/', '\\/')} (sent|received)"`)) / 1024).toFixed(1)} KiB`
  return `in the ${IDLE_WINDOW / second} s each daemon (median) answered ${delta('libp2p_kad_dht_inbound_rpc_requests_total')} and sent ${delta('libp2p_kad_dht_outbound_rpc_requests_total')} DHT requests ` +
    `(kad ${bytes('/paip/kad/1.0.0')}, ping ${bytes('/ipfs/ping/1.0.0')}, identify ${bytes('/ipfs/id/1.0.0')} sent and received), ` +
    `${delta('libp2p_noise_encrypted_packets_total') + delta('libp2p_noise_decrypted_packets_total')} Noise packets, ${delta('libp2p_connection_manager_dials_total')} new connections`
}

/** Connections per daemon against the peers it knows. */
function connectionsNote (metrics: Array<Map<string, number>>): string {
  const connections = metrics.map(m => total(m, 'libp2p_connection_manager_connections', /"(inbound|outbound)"/))
  return `${median(connections)} connections per daemon (median, max ${Math.max(...connections)}) to ${metrics.length - 1} other daemons`
}

/**
 * A CPU profile of the grid daemon of median idle CPU, through its inspector (opened now by
 * SIGUSR1), summarised by what the CPU was doing; with the traffic that caused it.
 */
async function profileReason (nodes: TestbedNode[], cpu: number[], inspectors: Map<number, string>, context: string, log: (line: string) => void, signal: AbortSignal): Promise<string> {
  const node = nodes[cpu.indexOf(median(cpu))]
  const pid = node.process?.pid
  if (pid == null) return 'not measured: the daemon of median CPU is gone'
  process.kill(pid, 'SIGUSR1')
  const deadline = Date.now() + 10 * second
  while (!inspectors.has(node.index) && Date.now() < deadline) await sleep(100, signal)
  const url = inspectors.get(node.index)
  if (url == null) return `not measured: node${node.index}'s inspector did not open`
  log(`profiling node${node.index} (median idle CPU) for ${PROFILE_WINDOW / second} s...`)
  const inspector = await connectInspector(url, signal)
  let profile
  try {
    profile = unbundle(await profileRemote(inspector, PROFILE_WINDOW, PROFILE_INTERVAL_US, async ms => { await sleep(ms, signal) }))
  } finally {
    inspector.close()
  }
  const { busyMs, shares } = byCause(profile, CAUSES)
  const parts = shares.filter(([, v]) => v >= 0.02).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join(', ')
  return `a CPU profile of node${node.index} (the median) over ${PROFILE_WINDOW / second} s, its inspector open: ${busyMs.toFixed(0)} ms on a CPU, of it ${parts}; ${context}`
}

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
