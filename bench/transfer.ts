/**
 * Dataset transfer against a raw TCP copy of the same bytes on loopback (disk to socket to disk),
 * from 1 holder and from 3 holders. The sending side runs in a process of its own
 * (bench/transfer-holder.ts: the holder nodes and the raw TCP server), the receiving side here,
 * so both copies are two processes. Each fetch is timed right after a raw copy (the ratio of the
 * two is what holds on a loaded machine), with the RSS growth while it streams, the CPU each
 * side used, and a sampled CPU profile of the fetching side (the reason written next to a
 * missed target).
 */
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { FETCH_RUN_BLOCKS } from '../src/catalog/constants.js'
import { QUERY_SELF_INTERVAL } from '../src/node/constants.js'
import { cpuTime } from '../src/testbed/index.js'
import { startNodes, stopNodes, writeRandomFile } from './catalog.js'
import { byCause, profiledRaw } from './profile.js'
import type { CpuProfile } from './profile.js'
import type { ChildProcess } from 'node:child_process'
import type { BenchOptions, Figure } from './types.js'

const MiB = 1024 * 1024
/** PAIP_BENCH_TRANSFER_MIB: a smaller run while profiling (default 128). */
const BYTES = Number(process.env.PAIP_BENCH_TRANSFER_MIB ?? 128) * MiB
const RATIO_TARGET = 0.6
const RSS_TARGET_MB = 64
/** Profile samples every 10 ms: enough to say where the time goes, cheap enough not to slow the fetch. */
const PROFILE_INTERVAL_US = 10_000

/**
 * What the fetching process's thread spends its time on, by the first of these a sample's stack
 * meets from the running function up (bench/profile.ts byCause): the reason next to the ratio.
 */
const CAUSES: Array<[string, RegExp]> = [
  ['garbage collection', /^\(garbage collector\)$/],
  ['the profiler itself', /^node:inspector/],
  ['ChaCha20-Poly1305 (Noise)', /node:internal\/crypto\/cipher|noise-crypto|as-chacha20poly1305|libp2p-noise\/dist\/src\/crypto/],
  ['SHA-256 (block digests, the file\'s CID)', /node:internal\/crypto\/hash/],
  ['disk writes', /node:internal\/fs\//],
  ['Noise framing', /@chainsafe\/libp2p-noise/],
  ['Yamux', /@chainsafe\/libp2p-yamux/],
  ['libp2p stream plumbing (message streams, byte lists, events)', /@libp2p\/utils|uint8arraylist|node:internal\/event_target|it-pushable|race-signal|p-event|@libp2p\/interface/],
  ['TCP socket (node:net, streams, syscalls)', /node:net|node:internal\/stream_base_commons|node:internal\/streams|@libp2p\/tcp|^\(writeBuffer\)$/],
  ['paip fetch (receive, check, write blocks)', /\/dist\/src\/(catalog|storage|net)\//],
  ['DHT and peer store', /@libp2p\/(kad-dht|peer-store)|mortice/],
  ['promises and timers', /^\((runMicrotasks|program)\)$|node:internal\/(process\/task_queues|timers)/]
]

interface Holders { child: ChildProcess, port: number, nodes: Array<{ id: string, addrs: string[] }> }

/** Starts bench/transfer-holder.js on `file` and waits for its ready line. */
async function startHolders (file: string, signal: AbortSignal): Promise<Holders> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'transfer-holder.js')
  const child = spawn(process.execPath, [script, file], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const exited = new Promise<never>((_resolve, reject) => child.once('exit', code => { reject(new Error(`transfer holder exited (${String(code)}) before it was ready`)) }))
  const ready = (async () => {
    for await (const line of lines) return JSON.parse(line) as Omit<Holders, 'child'>
    throw new Error('transfer holder printed nothing')
  })()
  const aborted = new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }))
  try {
    return { child, ...await Promise.race([ready, exited, aborted]) }
  } catch (err) {
    child.kill()
    throw err
  }
}

async function stopHolders (holders: Holders): Promise<void> {
  if (holders.child.exitCode != null) return
  const exited = new Promise(resolve => holders.child.once('exit', resolve))
  holders.child.stdin?.end()
  const timer = setTimeout(() => holders.child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(timer)
}

/** The receiving half of a raw copy: the holder process's TCP server to a file, fsynced. */
async function rawCopyFrom (port: number, target: string): Promise<number> {
  const t0 = performance.now()
  await pipeline(net.connect(port, '127.0.0.1'), createWriteStream(target))
  const handle = await fs.open(target, 'r+')
  await handle.sync()
  await handle.close()
  const ms = performance.now() - t0
  await fs.rm(target)
  return ms
}

/** CPU time (ms) this process used since `start`. */
function cpuSince (start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start)
  return (user + system) / 1000
}

export async function run (options: Partial<BenchOptions> = {}): Promise<Figure[]> {
  const signal = options.signal ?? new AbortController().signal
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const figures: Figure[] = []
  const report = (f: Figure): void => { figures.push(f); options.report?.(f) }
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-transfer-'))
  let holders: Holders | undefined
  let nodes: Awaited<ReturnType<typeof startNodes>> = []
  try {
    const source = path.join(work, 'data.bin')
    log(`writing ${BYTES / MiB} MiB of random bytes; starting the holder process (3 holder nodes, a raw TCP server)...`)
    await writeRandomFile(source, BYTES)
    holders = await startHolders(source, signal)
    // fetchers: node 0 fetches from the first holder alone, node 1 from all three
    nodes = await startNodes(2, 1, { querySelfInterval: QUERY_SELF_INTERVAL })
    for (const node of nodes) for (const h of holders.nodes) await node.host.dial(multiaddr(h.addrs[0]), { signal })
    const rate = (ms: number): number => (BYTES / MiB) / (ms / 1000)
    for (const [sources, fetcher, name] of [[1, 0, 'one'], [3, 1, 'three']] as const) {
      const plural = sources > 1 ? 's' : ''
      const rawCpu0 = [process.cpuUsage(), await cpuTime(holders.child.pid)] as const
      const rawMs = await rawCopyFrom(holders.port, path.join(work, 'copy.bin'))
      const rawCpu = cpuSince(rawCpu0[0]) + ((await cpuTime(holders.child.pid) ?? NaN) - (rawCpu0[1] ?? NaN))
      report({ name: `raw TCP loopback copy of ${BYTES / MiB} MiB (disk to disk, two processes), before the ${sources}-holder fetch`, value: rate(rawMs), unit: 'MiB/s', plot: { id: 'throughput', series: 'raw TCP copy', x: sources } })
      globalThis.gc?.()
      const baseline = process.memoryUsage.rss()
      let peak = baseline
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 250)
      const holderCpu0 = await cpuTime(holders.child.pid)
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      let profile: CpuProfile
      try {
        [, profile] = await profiledRaw(async () => await nodes[fetcher].catalog.fetch('dataset', name, { signal, from: holders!.nodes.slice(0, sources).map(h => h.id) }), PROFILE_INTERVAL_US)
      } finally {
        clearInterval(sampler)
      }
      const ms = performance.now() - t0
      const cpu = cpuSince(cpu0)
      const holderCpu = (await cpuTime(holders.child.pid) ?? NaN) - (holderCpu0 ?? NaN)
      const ratio = rawMs / ms
      const perMiB = (cpuMs: number): string => `${(cpuMs / (BYTES / MiB)).toFixed(1)}`
      const busy = `fetching process ${(100 * cpu / ms).toFixed(0)}% of a core, holder process ${(100 * holderCpu / ms).toFixed(0)}%; CPU ms per MiB: ${perMiB(cpu)} fetching + ${perMiB(holderCpu)} sending, raw copy ${perMiB(rawCpu)} both ends`
      const causes = byCause(profile, CAUSES)
      // shares of the samples where the thread was not idle (on a loaded machine, also while it waited for a core)
      const thread = `where the fetching process's JavaScript thread was (sampled profile, idle left out): ${causes.shares.filter(([, v]) => v >= 0.02).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join(', ')}`
      report({ name: `paip fetch from ${sources} holder${plural} (verified, fsynced)`, value: rate(ms), unit: 'MiB/s', plot: { id: 'throughput', series: 'paip fetch', x: sources } })
      report({
        name: `fetch from ${sources} holder${plural} as a ratio of the raw TCP copy just before it`,
        value: ratio,
        unit: 'x',
        target: RATIO_TARGET,
        higherIsBetter: true,
        note: `holders in another process; ${busy}; ${thread}`,
        reason: ratio >= RATIO_TARGET
          ? undefined
          : `1-min load average ${os.loadavg()[0].toFixed(0)} on ${os.cpus().length} cores; the fetch goes as fast as the fetching process's one JavaScript thread (see the note for what it spends its time on): every byte is decrypted there (Noise: ChaCha20-Poly1305, one cipher per message of at most 64 KiB, the protocol's maximum), passes through Yamux and libp2p's message streams (events and byte lists per message and frame, a Yamux window update sent back per data frame) and is hashed twice (its block's digest, then the whole file's CID: two different sha-256 digests, both checked), where the raw copy only moves bytes through the kernel${sources > 1 ? `; the ${sources} holders share this machine's cores with the fetcher: on loopback more holders add no CPU, only streams (a run of ${FETCH_RUN_BLOCKS} blocks per stream)` : ''}`
      })
      report({ name: `RSS growth of the fetching process during the fetch from ${sources} holder${plural}`, value: (Math.max(peak, process.memoryUsage.rss()) - baseline) / 1e6, unit: 'MB', target: RSS_TARGET_MB })
    }
  } finally {
    await stopNodes(nodes)
    if (holders != null) await stopHolders(holders)
    await fs.rm(work, { recursive: true, force: true })
  }
  return figures
}
