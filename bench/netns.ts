/**
 * Latency testbed (issue 16, point 6): 32 `paip daemon` processes, each in a network namespace
 * of its own, 20 ms RTT and ~1% loss apart (src/testbed/netns.ts). Publish and search latency
 * as multiples of the measured RTT (median, p95), then again after 30% of the daemons are
 * killed with SIGKILL. Needs root; elsewhere it says so and measures nothing. Bounded: each
 * daemon has START_TIMEOUT to start, the measurements after that RUN_DEADLINE.
 */
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { startTestbed } from '../src/testbed/index.js'
import { quantile } from './types.js'
import { second, minute } from '../src/time.js'
import type { TestbedNode } from '../src/testbed/index.js'
import type { Bench, Figure } from './types.js'

const NODES = Number(process.env.PAIP_BENCH_NETNS_NODES ?? 32)
/** Daemons started at once (two cores: a cold start is mostly CPU). */
const START_BATCH = 2
/** One daemon's start deadline: generous, the machine may be busy with other work. */
const START_TIMEOUT = 4 * minute
const DELAY = 10
const LOSS = 0.5
const KILLED_SHARE = 0.3
const PROTOCOLS = 8
const SEARCHES = 24
const PINGS = 20
/** Routing tables hold at least this many peers before measuring (or FILL_DEADLINE passes). */
const MIN_TABLE = 10
const FILL_DEADLINE = 2 * minute
/** The measurements after the start (the start is bounded by START_TIMEOUT per batch). */
const RUN_DEADLINE = 5 * minute
/** One search's deadline (the node's own default is 3 s). */
const SEARCH_TIMEOUT = 5 * second
const TOPICS = ['mnist', 'cifar', 'imagenet', 'bert', 'resnet', 'yolo', 'gpt', 'unet']

function protocol (topic: string): string {
  return [
    'protocolVersion: 2',
    `name: ${topic}-netns`,
    'type: job',
    `description: ${topic} training, published on the netns testbed`,
    'prerequisites:',
    '  - { type: dockerimage, name: image, uri: openpai/pytorch }',
    'taskRoles:',
    '  train:',
    '    instances: 1',
    '    dockerImage: image',
    '    resourcePerInstance: { cpu: 1, memoryMB: 1024, gpu: 0 }',
    '    commands:',
    '      - python train.py'
  ].join('\n') + '\n'
}

async function timed<T> (fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now()
  const value = await fn()
  return [performance.now() - start, value]
}

/** Streams a search (NDJSON): ms to the first hit naming `name`, and to the end of the search. */
async function search (node: TestbedNode, keyword: string, name: string, signal: AbortSignal): Promise<{ first?: number, total: number }> {
  const start = performance.now()
  const response = await node.client.request(`/repo/search/${encodeURIComponent(keyword)}`, {
    query: { timeout: SEARCH_TIMEOUT },
    headers: { accept: 'application/x-ndjson' },
    signal: AbortSignal.any([signal, AbortSignal.timeout(SEARCH_TIMEOUT + 5 * second)])
  })
  let first: number | undefined
  for await (const line of createInterface({ input: Readable.fromWeb(response.body as any) })) {
    if (line === '') continue
    const message = JSON.parse(line)
    if (first == null && message.hit?.name === name) first = performance.now() - start
  }
  return { first, total: performance.now() - start }
}

function pick<T> (items: T[], i: number): T { return items[i % items.length] }

/** Latency figures, in ms and as multiples of the RTT. */
function latency (label: string, times: number[], rtt: number, note?: string): Figure[] {
  if (times.length === 0) return []
  const median = quantile(times, 0.5)
  const p95 = quantile(times, 0.95)
  return [
    { name: `${label} median`, value: median / rtt, unit: 'RTT', note: `${median.toFixed(0)} ms${note == null ? '' : `; ${note}`}` },
    { name: `${label} p95`, value: p95 / rtt, unit: 'RTT', note: `${p95.toFixed(0)} ms` }
  ]
}

async function searchRound (published: Array<[string, TestbedNode]>, alive: TestbedNode[], label: string, rtt: number, signal: AbortSignal, report: (f: Figure) => void): Promise<void> {
  const firsts: number[] = []
  const totals: number[] = []
  let found = 0
  for (let i = 0; i < SEARCHES && !signal.aborted; i++) {
    const [topic, publisher] = pick(published, i)
    // from a node that did not publish it, round robin over the living
    const from = pick(alive.filter(n => n !== publisher), i * 7 + 3)
    const start = performance.now()
    try {
      const { first, total } = await search(from, topic, `${topic}-netns`, signal)
      totals.push(total)
      if (first != null) { firsts.push(first); found++ }
    } catch {
      if (signal.aborted) break
      // a search the node failed (an error answer, a cut stream) counts as not found, at the time it took
      totals.push(performance.now() - start)
    }
  }
  for (const f of latency(`${label}: search, first hit`, firsts, rtt, `${found}/${totals.length} searches found it`)) report(f)
  for (const f of latency(`${label}: search, complete`, totals, rtt, `ends when every provider lookup has; deadline ${SEARCH_TIMEOUT / second} s`)) report(f)
  if (totals.length === 0) return
  report({ name: `${label}: search success`, value: 100 * found / Math.max(1, totals.length), unit: '%', target: 100, higherIsBetter: true })
}

export const run: Bench = async ({ signal: outer, log, report }) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    log('skipped: the netns testbed needs root on Linux (network namespaces)')
    return undefined
  }
  log(`starting ${NODES} daemons in network namespaces, ${START_BATCH} at a time (${DELAY} ms each way, ${LOSS}% loss)...`)
  const [startMs, testbed] = await timed(async () => startTestbed({ nodes: NODES, netns: { delay: DELAY, loss: LOSS }, concurrency: START_BATCH, startTimeout: START_TIMEOUT, signal: outer }))
  const signal = AbortSignal.any([outer, AbortSignal.timeout(RUN_DEADLINE)])
  try {
    const network = testbed.network!
    report({ name: `${NODES} daemons started`, value: startMs / second, unit: 's', note: `shaper: ${network.shaper}` })
    const deadline = Date.now() + FILL_DEADLINE
    let sizes: number[] = []
    while (Date.now() < deadline && !signal.aborted) {
      sizes = await Promise.all(testbed.nodes.map(async n => Number((await n.client.get<any>('/health-check', { signal }).catch(() => ({})))['routing-table'] ?? 0)))
      if (sizes.every(s => s >= Math.min(MIN_TABLE, NODES - 1))) break
      await new Promise(resolve => setTimeout(resolve, second))
    }
    log(`routing tables: min ${Math.min(...sizes)}, median ${quantile(sizes, 0.5)} peers`)

    const rtts: number[] = []
    for (let i = 0; i < PINGS; i++) {
      const from = pick(testbed.nodes, i * 5 + 1)
      const to = pick(testbed.nodes, i * 11 + 2)
      if (from === to) continue
      const answer = await from.client.post<{ rtt: number }>('/api/v1/ping', { peer: to.peerId }, { signal }).catch(() => undefined)
      if (answer != null) rtts.push(answer.rtt)
    }
    const rtt = quantile(rtts, 0.5)
    report({ name: 'RTT between two daemons (libp2p ping), median', value: rtt, unit: 'ms', note: `p95 ${quantile(rtts, 0.95).toFixed(0)} ms; set: ${2 * DELAY} ms, ${LOSS}% loss each way` })

    const publishers = testbed.nodes.slice(1, 1 + Math.min(PROTOCOLS, NODES - 1))
    const published = publishers.map((node, i): [string, TestbedNode] => [TOPICS[i], node])
    const publishTimes: number[] = []
    for (const [i, node] of publishers.entries()) {
      const topic = TOPICS[i]
      const [ms] = await timed(async () => node.client.request(`/repo/protocol/${topic}-netns.yaml`, {
        method: 'PUT', body: protocol(topic), raw: true, headers: { 'content-type': 'text/yaml' }, signal
      }))
      publishTimes.push(ms)
    }
    for (const f of latency(`${NODES} nodes: publish`, publishTimes, rtt)) report(f)
    await searchRound(published, testbed.nodes, `${NODES} nodes`, rtt, signal, report)

    // kill 30%, never a publisher (their protocols would be gone, not slower to find)
    const victims = testbed.nodes.filter(n => !publishers.includes(n)).sort(() => Math.random() - 0.5).slice(0, Math.round(KILLED_SHARE * NODES))
    log(`killing ${victims.length} daemons with SIGKILL...`)
    await Promise.all(victims.map(async v => { await v.kill('SIGKILL') }))
    const alive = testbed.nodes.filter(n => !victims.includes(n))
    await searchRound(published, alive, `${victims.length} of ${NODES} killed`, rtt, signal, report)
    const again: number[] = []
    for (const [i, node] of publishers.entries()) {
      const topic = TOPICS[i]
      const [ms] = await timed(async () => node.client.request(`/repo/protocol/${topic}-netns.yaml`, {
        method: 'PUT', body: protocol(topic) + '# v2\n', raw: true, headers: { 'content-type': 'text/yaml' }, signal
      }))
      again.push(ms)
    }
    for (const f of latency(`${victims.length} of ${NODES} killed: publish (new version)`, again, rtt)) report(f)
  } finally {
    log('stopping the testbed and removing its namespaces...')
    await testbed.stop()
  }
  return undefined
}
