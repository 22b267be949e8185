import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../src/client/index.js'
import { spawnDaemon, startTestbed, stopDaemon } from '../src/testbed/index.js'
import type { Bench } from './types.js'

const second = 1000
/** Targets from the issue. */
const COLD_START_TARGET = 1.5 * second
const IDLE_RSS_TARGET = 120
/** A routing table counts as full when it holds every other node, or a whole k-bucket (20). */
const K = 20
/** Give up waiting for full routing tables after this long. */
const FILL_DEADLINE = 90 * second

/** The grid node: cold start to healthy, idle RSS, routing tables of 10 and 25 nodes. */
export const run: Bench = async ({ signal, log, report }) => {
  const starts: number[] = []
  let rss = 0
  for (let i = 0; i < 3; i++) {
    const home = await mkdtemp(join(tmpdir(), 'paip-bench-'))
    try {
      const t0 = performance.now()
      const daemon = await spawnDaemon({ home, args: ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], env: { PATH: process.env.PATH }, signal })
      try {
        await createApiClient({ url: daemon.started.url }).get('/health-check', { signal })
        starts.push(performance.now() - t0)
        if (i === 0) {
          log('waiting 5 s for the node to idle...')
          await new Promise(resolve => setTimeout(resolve, 5 * second))
          rss = await rssMiB(daemon.started.pid)
        }
      } finally {
        await stopDaemon(daemon)
      }
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  }
  report({ name: 'cold start to healthy (median of 3, fresh home)', value: median(starts), unit: 'ms', target: COLD_START_TARGET, note: `all: ${starts.map(s => s.toFixed(0)).join(', ')} ms` })
  report({ name: 'idle RSS of one daemon', value: rss, unit: 'MiB', target: IDLE_RSS_TARGET })

  for (const nodes of [10, 25]) {
    log(`starting ${nodes} nodes...`)
    const t0 = performance.now()
    const testbed = await startTestbed({ nodes, signal })
    try {
      const started = performance.now()
      report({ name: `${nodes} nodes: all processes started`, value: started - t0, unit: 'ms' })
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
    } finally {
      await testbed.stop()
    }
  }
  return undefined
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
