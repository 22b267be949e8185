/**
 * Search against a central gateway: seed 002's "partially distributed" design, written minimally
 * here. A gateway knows every node (`POST /join` with the node's id and address); `POST /search`
 * asks every joined node's own small REST endpoint which of its datasets carry the tags and
 * merges the answers (the gateway holds no data, as the seed says). The same nodes, holding the
 * same datasets, are searched through paip's DHT and through the gateway, on 10 and 25 nodes,
 * then again with 20% of the nodes dead (their host and their REST endpoint stopped).
 */
import fs from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { DHT_ALPHA, DHT_DISJOINT_PATHS, LOOKUP_CONVERGED_PEERS } from '../src/net/constants.js'
import { startNodes } from './catalog.js'
import { describe, profiled } from './profile.js'
import { quantile } from './types.js'
import type { BenchOptions, Figure } from './types.js'

/** Node counts; PAIP_BENCH_GATEWAY_SIZES=10 for a quick run. */
const SIZES = (process.env.PAIP_BENCH_GATEWAY_SIZES ?? '10,25').split(',').map(Number).filter(n => n > 1)
const SEARCHES = 30
/** Searches profiled for the reason of a missed target. */
const PROFILED_SEARCHES = 10
const TAGS = ['#mnist', '#boston-housing']
/** Targets from issue 16, point 2. */
const MEDIAN_TARGET = 150
const P95_TARGET = 400
/** How long the gateway waits for one node (a dead node on loopback refuses at once). */
const NODE_TIMEOUT = 1000

type Node = Awaited<ReturnType<typeof startNodes>>[number]

interface Hit { node: string, name: string }

async function listen (server: http.Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

async function body (req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

function send (res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

/** A grid node's REST endpoint for the gateway: which of my datasets carry any of these tags. */
function nodeEndpoint (node: Node): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const { tags } = await body(req) as { tags: string[] }
      const names = new Set<string>()
      for (const tag of tags) for (const entry of await node.catalog.list('dataset', { tag })) names.add(entry.name)
      send(res, 200, { names: [...names] })
    })().catch(err => { send(res, 400, { error: String(err) }) })
  })
}

/** The gateway: `/join` records a node, `/search` fans the query out to every node it knows. */
function gateway (): http.Server {
  const nodes = new Map<string, string>()
  return http.createServer((req, res) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/join') {
        const { id, url } = await body(req) as { id: string, url: string }
        nodes.set(id, url)
        send(res, 200, { nodes: nodes.size })
      } else if (req.method === 'POST' && req.url === '/search') {
        const { tags } = await body(req) as { tags: string[] }
        const answers = await Promise.allSettled([...nodes].map(async ([id, url]) => {
          const reply = await fetch(`${url}/search`, { method: 'POST', body: JSON.stringify({ tags }), signal: AbortSignal.timeout(NODE_TIMEOUT) })
          const { names } = await reply.json() as { names: string[] }
          return names.map(name => ({ node: id, name }))
        }))
        send(res, 200, { results: answers.flatMap(a => a.status === 'fulfilled' ? a.value : []) })
      } else {
        send(res, 404, { error: 'not found' })
      }
    })().catch(err => { send(res, 400, { error: String(err) }) })
  })
}

async function post (url: string, value: unknown): Promise<any> {
  const reply = await fetch(url, { method: 'POST', body: JSON.stringify(value) })
  return await reply.json()
}

/** The grid as it is now, searched through paip and through the gateway: the figures of one row group. */
async function compare (nodes: Node[], alive: boolean[], gwUrl: string, label: string, series: string, opened: () => number, signal: AbortSignal, report: (f: Figure) => void): Promise<void> {
  const expected = new Set(nodes.map((n, i) => (alive[i] && (i % 3 === 0 || i % 5 === 0)) ? n.host.peerId.toString() : '').filter(id => id !== ''))
  const living = nodes.filter((_, i) => alive[i])
  const paip: number[] = []
  const paipCpu: number[] = []
  const central: number[] = []
  const opened0 = opened()
  let paipFound = 0
  let centralFound = 0
  for (let s = 0; s < SEARCHES; s++) {
    signal.throwIfAborted()
    const from = living[s % living.length]
    const cpu0 = process.cpuUsage()
    let t0 = performance.now()
    const results = await from.catalog.search('dataset', TAGS, { signal })
    paip.push(performance.now() - t0)
    const cpu = process.cpuUsage(cpu0)
    paipCpu.push((cpu.user + cpu.system) / 1000)
    if ([...expected].every(id => results.some(r => r.node.peerId === id))) paipFound++
    t0 = performance.now()
    const { results: hits } = await post(`${gwUrl}/search`, { tags: TAGS }) as { results: Hit[] }
    central.push(performance.now() - t0)
    if ([...expected].every(id => hits.some(h => h.node === id))) centralFound++
  }
  // libp2p connections dialled during the searches (the gateway's HTTP ones are not counted)
  const openedPer = (opened() - opened0) / SEARCHES
  const cpuMedian = quantile(paipCpu, 0.5)
  const pm = quantile(paip, 0.5)
  const p95 = quantile(paip, 0.95)
  let reason: string | undefined
  if (pm > MEDIAN_TARGET || p95 > P95_TARGET) {
    // measured, not guessed: where this process's CPU went during a few more paip searches
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const [, summary] = await profiled(async () => {
      for (let s = 0; s < PROFILED_SEARCHES; s++) await living[s % living.length].catalog.search('dataset', TAGS, { signal })
    })
    const used = process.cpuUsage(cpu0)
    const share = (used.user + used.system) / 1000 / (performance.now() - t0)
    reason = `every node runs in this one process, which was on a CPU for ${(100 * share).toFixed(0)}% of the searches' wall time (1-min load average ${os.loadavg()[0].toFixed(0)} on ${os.cpus().length} cores); ` +
      `one search cost ${cpuMedian.toFixed(0)} ms of CPU (median, both ends of every message) and opened ${openedPer.toFixed(1)} new connections; ` +
      `CPU profile of ${PROFILED_SEARCHES} more searches: ${describe(summary)}; a search ends when the DHT lookups of both tags converged (the ${LOOKUP_CONVERGED_PEERS} peers closest to each tag's key that the lookup knows of answered; kad-dht asks up to ${Math.min(20, DHT_ALPHA * DHT_DISJOINT_PATHS)} of the 20 closest peers of its routing table at once (alpha ${DHT_ALPHA} on ${DHT_DISJOINT_PATHS} paths), over a new Noise-encrypted stream each) and every holder named answered, the gateway asks each node once over plain HTTP`
  }
  const gm = quantile(central, 0.5)
  report({ name: `${label}: paip search median`, value: pm, unit: 'ms', target: MEDIAN_TARGET, note: `two tags, ${SEARCHES} searches from every live node in turn; found every holder in ${paipFound}/${SEARCHES}`, ...(pm > MEDIAN_TARGET && reason != null ? { reason } : {}), plot: { id: 'latency-vs-n', series: `paip search median${series}`, x: nodes.length } })
  report({ name: `${label}: paip search p95`, value: p95, unit: 'ms', target: P95_TARGET, ...(p95 > P95_TARGET && reason != null ? { reason } : {}) })
  report({ name: `${label}: paip CPU per search, median`, value: cpuMedian, unit: 'ms', note: `this process's CPU during one search: both ends of every message (all nodes share it); ${openedPer.toFixed(1)} new connections per search` })
  report({ name: `${label}: gateway search median`, value: gm, unit: 'ms', note: `found every holder in ${centralFound}/${SEARCHES}; the gateway asks ${nodes.length} nodes per search`, plot: { id: 'latency-vs-n', series: `gateway search median${series}`, x: nodes.length } })
  report({ name: `${label}: gateway search p95`, value: quantile(central, 0.95), unit: 'ms' })
  report({ name: `${label}: paip median / gateway median`, value: pm / gm, unit: 'x', note: 'above 1: the gateway answers faster; it is one point of failure and sees every query' })
}

export async function run (options: Partial<BenchOptions> = {}): Promise<Figure[]> {
  const signal = options.signal ?? new AbortController().signal
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const figures: Figure[] = []
  const report = (f: Figure): void => { figures.push(f); options.report?.(f) }
  for (const size of SIZES) {
    signal.throwIfAborted()
    log(`starting ${size} nodes...`)
    const nodes = await startNodes(size, 3)
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-gateway-'))
    const servers: http.Server[] = []
    const alive = nodes.map(() => true)
    let connectionsOpened = 0
    for (const node of nodes) node.host.addEventListener('connection:open', (event) => { if (event.detail.direction === 'outbound') connectionsOpened++ })
    try {
      const file = path.join(work, 'x.csv')
      await fs.writeFile(file, 'x')
      for (let i = 0; i < size; i++) {
        const tags = [...(i % 3 === 0 ? ['#mnist'] : []), ...(i % 5 === 0 ? ['#boston-housing'] : []), `#node-${i}`]
        await nodes[i].catalog.add('dataset', { path: file }, { name: `d${i}`, tags, public: true }, { signal })
      }
      const gw = gateway()
      servers.push(gw)
      const gwUrl = await listen(gw)
      for (const node of nodes) {
        const endpoint = nodeEndpoint(node)
        servers.push(endpoint)
        await post(`${gwUrl}/join`, { id: node.host.peerId.toString(), url: await listen(endpoint) })
      }
      for (const dead of [0, 0.2]) {
        if (dead > 0) {
          // 20% die, never node 0 (the others' bootstrap peer): host and REST endpoint
          const victims = nodes.map((_, i) => i).slice(1).sort(() => Math.random() - 0.5).slice(0, Math.round(size * dead))
          for (const i of victims) {
            alive[i] = false
            await Promise.resolve(nodes[i].catalog.stop()).catch(() => {})
            await Promise.resolve(nodes[i].host.stop()).catch(() => {})
            servers[i + 1].close()
            servers[i + 1].closeAllConnections()
          }
        }
        await compare(nodes, alive, gwUrl, `${size} nodes, ${dead * 100}% dead`, dead === 0 ? '' : ', 20% dead', () => connectionsOpened, signal, report)
      }
    } finally {
      for (const server of servers) { server.close(); server.closeAllConnections() }
      for (let i = 0; i < nodes.length; i++) {
        if (alive[i]) {
          await Promise.resolve(nodes[i].catalog.stop()).catch(() => {})
          await Promise.resolve(nodes[i].host.stop()).catch(() => {})
        }
        await nodes[i].db.close().catch(() => {})
        await fs.rm(nodes[i].dir, { recursive: true, force: true })
      }
      await fs.rm(work, { recursive: true, force: true })
    }
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await run()) process.stdout.write(`${f.name}: ${f.value.toFixed(1)} ${f.unit}\n`)
}
