import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../src/client/index.js'
import { cpuTime, PAIP_BIN, spawnDaemon, startTestbed, stopDaemon } from '../src/testbed/index.js'
import { second, sleep } from '../src/time.js'
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
 * The grid node: idle RSS and CPU of one daemon (and with V8's defaults), cold start to healthy,
 * routing tables of 10 and 25 nodes, idle CPU and RSS in the 10-node grid and RSS after a load run.
 */
export const run: Bench = async ({ signal, log, report }) => {
  await loneDaemon({ signal, log, report })
  await coldStarts({ signal, log, report })

  for (const nodes of [10, 25]) {
    log(`starting ${nodes} nodes...`)
    const t0 = performance.now()
    const testbed = await startTestbed({ nodes, signal })
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
      if (nodes === 10) await idleGrid(testbed.nodes, { signal, log, report })
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
async function loneDaemon ({ signal, log, report }: BenchOptions): Promise<void> {
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
          const why = rss > IDLE_RSS_TARGET ? await rssBreakdown(daemon.started.pid, daemon.started.url, signal) : undefined
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
}

/**
 * The daemons of an idle 10-node grid (tables full): CPU per daemon over a minute; then a load
 * run (PARALLEL_SEARCHES searches at once on one node) and that node's RSS a minute later.
 */
async function idleGrid (nodes: TestbedNode[], { signal, log, report }: BenchOptions): Promise<void> {
  log(`idle grid: ${GRID_SETTLE / second} s to settle, then CPU over ${IDLE_WINDOW / second} s...`)
  await sleep(GRID_SETTLE, signal)
  const pids = nodes.map(n => n.process?.pid).filter((p): p is number => p != null)
  const cpu = await cpuPercent(pids, IDLE_WINDOW, signal)
  report({ name: 'idle CPU of a daemon in a 10-node grid, median', value: median(cpu), unit: '% of a core', target: IDLE_CPU_TARGET, note: `max ${Math.max(...cpu).toFixed(2)}%; before issue 16: ${IDLE_CPU_BEFORE}% median` })
  const rss = await Promise.all(pids.map(rssMiB))
  report({ name: 'idle RSS of a daemon in a 10-node grid, median', value: median(rss), unit: 'MiB', target: IDLE_RSS_TARGET, note: `max ${Math.max(...rss).toFixed(0)} MiB` })

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

/**
 * What an idle daemon's resident memory is made of, measured: file-backed pages (the node binary:
 * V8's builtins, node's own JavaScript, ICU data once a collator or date format runs) against
 * anonymous ones, and of those the V8 heap by space (from the daemon's GET /metrics).
 */
async function rssBreakdown (pid: number, url: string, signal: AbortSignal): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024
  const text = await (await fetch(`${url}/metrics`, { signal })).text()
  const metric = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024
  const space = (name: string): number => metric(`nodejs_heap_space_size_used_bytes\\{space="${name}"\\}`)
  const mb = (n: number): string => `${n.toFixed(1)} MiB`
  return `measured (/proc status, the daemon's heap statistics): ${mb(kib('RssFile'))} file-backed (pages of the node binary itself, a bare \`node\` has ~34 MiB; +2.6 MiB of ICU collation data that @libp2p/peer-store's localeCompare pages in), ` +
    `${mb(kib('RssAnon'))} anonymous: V8 heap ${mb(metric('nodejs_heap_size_total_bytes'))} (old space ${mb(space('old'))}: module sources, function data and the node's state; bytecode ${mb(space('trusted'))}; machine code ${mb(space('code'))}), ` +
    `${mb(metric('nodejs_external_memory_bytes'))} external (buffers, leveldb), the rest malloc and ${status.match(/Threads:\s+(\d+)/)?.[1] ?? '?'} threads' stacks`
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
