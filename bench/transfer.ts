/**
 * Dataset transfer against a raw TCP copy of the same bytes on loopback (disk to socket to disk),
 * from 1 holder and from 3 holders, with the RSS growth while it streams and a CPU profile of the
 * fetch (the reason written next to a missed target).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { rawTcpCopy, startNodes, stopNodes, writeRandomFile } from './catalog.js'
import { describe, profiled } from './profile.js'
import type { BenchOptions, Figure } from './types.js'

const MiB = 1024 * 1024
const BYTES = 128 * MiB
const RATIO_TARGET = 0.6
const RSS_TARGET_MB = 64

export async function run (options: Partial<BenchOptions> = {}): Promise<Figure[]> {
  const signal = options.signal ?? new AbortController().signal
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const figures: Figure[] = []
  const report = (f: Figure): void => { figures.push(f); options.report?.(f) }
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-transfer-'))
  const nodes = await startNodes(5)
  try {
    const source = path.join(work, 'data.bin')
    log(`writing ${BYTES / MiB} MiB of random bytes...`)
    await writeRandomFile(source, BYTES)
    const rate = (ms: number): number => (BYTES / MiB) / (ms / 1000)
    const rawMs = await rawTcpCopy(source, path.join(work, 'copy.bin'))
    await fs.rm(path.join(work, 'copy.bin'))
    report({ name: `raw TCP loopback copy of ${BYTES / MiB} MiB (disk to disk)`, value: rate(rawMs), unit: 'MiB/s', plot: { id: 'throughput', series: 'raw TCP copy', x: 1 } })
    // holders: nodes 0, 1, 2 add the same bytes; node 3 fetches from node 0 alone, node 4 from all three
    await nodes[0].catalog.add('dataset', { path: source }, { name: 'one', tags: ['#bench-one'], public: true }, { signal })
    for (const i of [0, 1, 2]) await nodes[i].catalog.add('dataset', { path: source }, { name: 'three', tags: ['#bench-three'], public: true }, { signal })
    for (const [sources, fetcher, name] of [[1, 3, 'one'], [3, 4, 'three']] as const) {
      globalThis.gc?.()
      const baseline = process.memoryUsage().rss
      let peak = baseline
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 50)
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      let summary
      try {
        [, summary] = await profiled(async () => await nodes[fetcher].catalog.fetch('dataset', name, { signal }))
      } finally {
        clearInterval(sampler)
      }
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const ratio = rawMs / ms
      const cpuShare = (cpu.user + cpu.system) / 1000 / ms
      report({ name: `paip fetch from ${sources} holder${sources > 1 ? 's' : ''} (verified, fsynced)`, value: rate(ms), unit: 'MiB/s', plot: { id: 'throughput', series: 'paip fetch', x: sources } })
      report({
        name: `fetch from ${sources} holder${sources > 1 ? 's' : ''} as a ratio of the raw TCP copy`,
        value: ratio,
        unit: 'x',
        target: RATIO_TARGET,
        higherIsBetter: true,
        note: `sender and receiver in this one process: ${(100 * cpuShare).toFixed(0)}% of a core busy during the fetch`,
        reason: ratio >= RATIO_TARGET
          ? undefined
          : `this process was on a CPU for only ${(100 * cpuShare).toFixed(0)}% of the fetch's wall time (1-min load average ${os.loadavg()[0].toFixed(0)} on ${os.cpus().length} cores): the rest is waiting for a CPU and for the disk (each file fsynced); where it was on a CPU (profile, both ends): ${describe(summary)}; ${sources > 1 ? 'the fetch reads every block from the first holder that answers (src/catalog/fetch.ts), so more holders add no bandwidth' : 'one stream through Noise (ChaCha20-Poly1305) and Yamux, each block hashed'}`
      })
      report({ name: `RSS growth during the fetch from ${sources} holder${sources > 1 ? 's' : ''}`, value: (Math.max(peak, process.memoryUsage().rss) - baseline) / 1e6, unit: 'MB', target: RSS_TARGET_MB })
    }
  } finally {
    await stopNodes(nodes)
    await fs.rm(work, { recursive: true, force: true })
  }
  return figures
}
