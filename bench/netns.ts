/**
 * Latency testbed (issue 16, point 6): 32 `paip daemon` processes, each in a network namespace
 * of its own, 20 ms RTT and ~1% loss apart (src/testbed/netns.ts). Publish and search latency
 * as multiples of the measured RTT (median, p95), then again after 30% of the daemons are
 * killed with SIGKILL. Needs root; elsewhere it says so and measures nothing. Bounded: a daemon's
 * start is waited for while it runs (spawnDaemon), each step after that has its own deadline and
 * a step cut by it reports what it measured. Every search of a round comes from another node (a
 * node's first search pays new connections; repeating it from a warm node measures less).
 * A missed search says why, from the daemons' own debug lines (DEBUG, see TRACE): the provider
 * was found but answered after the per-peer deadline, no peer held the keyword's provider
 * record yet (the publish had returned with its keyword on no peer), or peers held it but the
 * lookup did not reach one in time.
 */
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { loadavg } from 'node:os'
import { base58btc } from 'multiformats/bases/base58'
import { keywordKey } from '../src/marketplace/keys.js'
import { SEARCH_PEER_TIMEOUT, PROVIDE_TIMEOUT } from '../src/marketplace/constants.js'
import { FIRST_CONTACT_ALLOWANCE } from '../src/net/constants.js'
import { startTestbed } from '../src/testbed/index.js'
import { quantile } from './types.js'
import { second, minute } from '../src/time.js'
import type { TestbedNode } from '../src/testbed/index.js'
import type { Bench, Figure } from './types.js'

const NODES = Number(process.env.PAIP_BENCH_NETNS_NODES ?? 32)
/** Daemons started at once (two cores: a cold start is mostly CPU). */
const START_BATCH = 2
const DELAY = 10
const LOSS = 0.5
const KILLED_SHARE = 0.3
const PROTOCOLS = 8
const SEARCHES = 24
const PINGS = 20
/** Routing tables hold at least this many peers before measuring (or FILL_DEADLINE passes). */
const MIN_TABLE = 10
const FILL_DEADLINE = 2 * minute
/** Deadlines of the steps after the start: one publish, and everything after the start. */
const PUBLISH_DEADLINE = minute
const RUN_DEADLINE = 20 * minute
/**
 * The daemons' debug lines the bench reads to say why a search missed: a provider asked too
 * late (paip:net:routing), provider records stored (kad-dht's ADD_PROVIDER handler), provides
 * and puts cut by the publish's deadline (paip:net:routing, paip:marketplace). A few lines each.
 */
const TRACE = 'paip:net:routing,paip:marketplace,libp2p:kad-dht:rpc:handlers:add-provider'
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

/** One daemon's debug line, when the bench received it. */
interface Trace { at: number, node: number, line: string }

/** The base58 multihash kad-dht's logs name a keyword's key by. */
function keyName (keyword: string): string { return base58btc.encode(keywordKey(keyword).multihash.bytes).slice(1) }

/**
 * The searchers of a round: every search from another node that did not publish what it looks
 * for, as long as there are nodes left (a stride over the live nodes revisits a few of them when
 * it shares a factor with their count: the 22 live nodes after the kill were 3 searchers).
 */
export function pickSearchers<T> (nodes: T[], publisherOf: (i: number) => T, searches: number): T[] {
  const order = [...nodes].sort(() => Math.random() - 0.5)
  const used = new Set<T>()
  const out: T[] = []
  for (let i = 0; i < searches; i++) {
    const candidates = order.filter(n => n !== publisherOf(i))
    if (candidates.length === 0) break
    const fresh = candidates.find(n => !used.has(n))
    const from = fresh ?? candidates[i % candidates.length]
    used.add(from)
    out.push(from)
  }
  return out
}

type Miss = 'late' | 'unheld' | 'unreached' | 'error'

/** Why a search found nothing, from the searcher's and the holders' debug lines. */
function whyMissed (traces: Trace[], from: TestbedNode, publisher: TestbedNode, keyword: string, start: number, end: number): Miss {
  if (traces.some(t => t.node === from.index && t.at >= start && t.at <= end + second && t.line.includes(`discover: ${publisher.peerId} did not answer`))) return 'late'
  const key = keyName(keyword)
  const held = traces.some(t => t.at < start && t.line.includes('to store provider record') && t.line.includes(key))
  return held ? 'unreached' : 'unheld'
}

const MISS_TEXT: Record<Miss, string> = {
  late: `the publisher was found but answered after the per-peer deadline (${SEARCH_PEER_TIMEOUT} ms, ${SEARCH_PEER_TIMEOUT + FIRST_CONTACT_ALLOWANCE} ms for a peer not connected yet: dial, Noise, the request, on a loaded machine)`,
  unheld: 'no peer but the publisher held the keyword\'s provider record yet, and the lookup did not reach the publisher',
  unreached: 'peers held the keyword\'s provider record, but the lookup reached none of them before the search deadline',
  error: 'the search failed (an error answer or a cut stream)'
}

async function searchRound (published: Array<[string, TestbedNode]>, alive: TestbedNode[], label: string, rtt: number, traces: Trace[], signal: AbortSignal, report: (f: Figure) => void): Promise<void> {
  const firsts: number[] = []
  const totals: number[] = []
  const missed: Miss[] = []
  let found = 0
  const searchers = pickSearchers(alive, i => pick(published, i)[1], SEARCHES)
  for (const [i, from] of searchers.entries()) {
    if (signal.aborted) break
    const [topic, publisher] = pick(published, i)
    const start = performance.now()
    const wall = Date.now()
    try {
      const { first, total } = await search(from, topic, `${topic}-netns`, signal)
      totals.push(total)
      if (first != null) { firsts.push(first); found++ } else missed.push(whyMissed(traces, from, publisher, topic, wall, Date.now()))
    } catch {
      if (signal.aborted) break
      // a search the node failed (an error answer, a cut stream) counts as not found, at the time it took
      totals.push(performance.now() - start)
      missed.push('error')
    }
  }
  const distinct = new Set(searchers.slice(0, totals.length)).size
  for (const f of latency(`${label}: search, first hit`, firsts, rtt, `${found}/${totals.length} searches found it, from ${distinct} different nodes`)) report(f)
  for (const f of latency(`${label}: search, complete`, totals, rtt, `ends when every provider lookup has; deadline ${SEARCH_TIMEOUT / second} s`)) report(f)
  if (totals.length === 0) return
  const counts = (['late', 'unheld', 'unreached', 'error'] as Miss[]).map(m => [m, missed.filter(x => x === m).length] as const).filter(([, n]) => n > 0)
  const reason = counts.length === 0 ? undefined : `measured from the daemons' debug lines, of ${missed.length} missed: ${counts.map(([m, n]) => `${n}: ${MISS_TEXT[m]}`).join('; ')}`
  report({ name: `${label}: search success`, value: 100 * found / Math.max(1, totals.length), unit: '%', target: 100, higherIsBetter: true, ...(reason == null ? {} : { reason }) })
}

/** Publishes each protocol; how long each took, and which returned before their keyword reached any peer. */
async function publishAll (publishers: TestbedNode[], suffix: string, traces: Trace[], signal: AbortSignal, log: (line: string) => void): Promise<{ times: number[], unstored: number, failed: number }> {
  const times: number[] = []
  let unstored = 0
  let failed = 0
  for (const [i, node] of publishers.entries()) {
    if (signal.aborted) break
    const topic = TOPICS[i]
    const wall = Date.now()
    const start = performance.now()
    try {
      await node.client.request(`/repo/protocol/${topic}-netns.yaml`, {
        method: 'PUT', body: protocol(topic) + suffix, raw: true, headers: { 'content-type': 'text/yaml' }, signal: AbortSignal.any([signal, AbortSignal.timeout(PUBLISH_DEADLINE)])
      })
      times.push(performance.now() - start)
      // the name keyword's provide cut by the publish's deadline before any peer stored it
      const key = keywordKey(topic).toString()
      if (traces.some(t => t.node === node.index && t.at >= wall && t.line.includes(`provide of ${key} failed`))) unstored++
    } catch (err: any) {
      if (signal.aborted) break
      failed++
      log(`publish of ${topic} failed: ${err?.message ?? err}`)
    }
  }
  return { times, unstored, failed }
}

export const run: Bench = async ({ signal: outer, log, report }) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    log('skipped: the netns testbed needs root on Linux (network namespaces)')
    return undefined
  }
  log(`starting ${NODES} daemons in network namespaces, ${START_BATCH} at a time (${DELAY} ms each way, ${LOSS}% loss)...`)
  const traces: Trace[] = []
  const onLog = (node: number, line: string): void => {
    if (/did not answer|to store provider record|provide of \S+ failed|put of \S+ failed/.test(line)) traces.push({ at: Date.now(), node, line })
  }
  const load = loadavg()[0]
  const [startMs, testbed] = await timed(async () => startTestbed({ nodes: NODES, netns: { delay: DELAY, loss: LOSS }, concurrency: START_BATCH, env: { DEBUG: TRACE }, onLog, signal: outer }))
  const signal = AbortSignal.any([outer, AbortSignal.timeout(RUN_DEADLINE)])
  try {
    const network = testbed.network!
    const cpu = testbed.nodes.map(n => n.start.cpuMs ?? 0)
    const walls = testbed.nodes.map(n => n.start.ms)
    report({
      name: `${NODES} daemons started`,
      value: startMs / second,
      unit: 's',
      note: `shaper: ${network.shaper}; ${START_BATCH} at a time; one start took ${(quantile(walls, 0.5) / second).toFixed(1)} s median (p95 ${(quantile(walls, 0.95) / second).toFixed(1)} s) ` +
        `of which it was on a CPU ${(quantile(cpu, 0.5) / second).toFixed(1)} s median (all starts: ${(cpu.reduce((a, b) => a + b, 0) / second).toFixed(0)} CPU-s); ` +
        `the rest it waited for a core, shared with the daemons already up (their join lookups) and the machine's other work (load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)})`
    })
    const deadline = Date.now() + FILL_DEADLINE
    let sizes: number[] = []
    while (Date.now() < deadline && !signal.aborted) {
      sizes = await Promise.all(testbed.nodes.map(async n => Number((await n.client.get<any>('/health-check', { signal }).catch(() => ({})))['routing-table'] ?? 0)))
      if (sizes.every(s => s >= Math.min(MIN_TABLE, NODES - 1))) break
      await new Promise(resolve => setTimeout(resolve, second))
    }
    const empty = sizes.filter(s => s === 0).length
    log(`routing tables: min ${Math.min(...sizes)}, median ${quantile(sizes, 0.5)} peers${empty > 0 ? `; ${empty} node(s) with an empty table` : ''}`)

    const rtts: number[] = []
    for (let i = 0; i < PINGS && !signal.aborted; i++) {
      const from = pick(testbed.nodes, i * 5 + 1)
      const to = pick(testbed.nodes, i * 11 + 2)
      if (from === to) continue
      const answer = await from.client.post<{ rtt: number }>('/api/v1/ping', { peer: to.peerId }, { signal: AbortSignal.any([signal, AbortSignal.timeout(30 * second)]) }).catch(() => undefined)
      if (answer != null) rtts.push(answer.rtt)
    }
    const rtt = rtts.length === 0 ? 2 * DELAY : quantile(rtts, 0.5)
    report({ name: 'RTT between two daemons (libp2p ping), median', value: rtt, unit: 'ms', note: `p95 ${quantile(rtts, 0.95).toFixed(0)} ms; set: ${2 * DELAY} ms, ${LOSS}% loss each way; routing tables before publishing: min ${Math.min(...sizes)}, median ${quantile(sizes, 0.5)} peers${empty > 0 ? ` (${empty} node(s) with none)` : ''}` })

    const publishers = testbed.nodes.slice(1, 1 + Math.min(PROTOCOLS, NODES - 1))
    const published = publishers.map((node, i): [string, TestbedNode] => [TOPICS[i], node])
    const first = await publishAll(publishers, '', traces, signal, log)
    const publishNote = (p: typeof first): string => `${p.unstored}/${p.times.length} returned with their name keyword on no peer (the publish's ${PROVIDE_TIMEOUT / second} s deadline passed before 3 of the closest peers known took it; a retry announces it later)${p.failed > 0 ? `; ${p.failed} failed` : ''}; a publish sends the record and provider records at once to the closest peers of its routing table and returns on the first 3 acknowledgements of each, kad-dht's lookups follow in the background`
    for (const f of latency(`${NODES} nodes: publish`, first.times, rtt, publishNote(first))) report(f)
    await searchRound(published, testbed.nodes, `${NODES} nodes`, rtt, traces, signal, report)

    // kill 30%, never a publisher (their protocols would be gone, not slower to find)
    const victims = testbed.nodes.filter(n => !publishers.includes(n)).sort(() => Math.random() - 0.5).slice(0, Math.round(KILLED_SHARE * NODES))
    log(`killing ${victims.length} daemons with SIGKILL...`)
    await Promise.all(victims.map(async v => { await v.kill('SIGKILL') }))
    const alive = testbed.nodes.filter(n => !victims.includes(n))
    await searchRound(published, alive, `${victims.length} of ${NODES} killed`, rtt, traces, signal, report)
    const again = await publishAll(publishers, '# v2\n', traces, signal, log)
    for (const f of latency(`${victims.length} of ${NODES} killed: publish (new version)`, again.times, rtt, publishNote(again))) report(f)
    if (signal.aborted && !outer.aborted) log(`stopped at the run's ${RUN_DEADLINE / minute} min deadline: the figures above are what it measured`)
  } finally {
    log('stopping the testbed and removing its namespaces...')
    await testbed.stop()
  }
  return undefined
}
