/**
 * Marketplace benchmark on 10 and 25 loopback nodes: publish latency, search latency (median,
 * p95; with 0% and 20% of the nodes dead) and pull latency. Targets from issue 4: search median
 * under 300 ms and p95 under 1 s, publish under 1 s.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { paipLogger } from '../src/logger.js'
import { createHost } from '../src/net/host.js'
import { dhtRecordOptions } from '../src/net/records.js'
import { createMarketplace, protocolRecords } from '../src/marketplace/index.js'
import type { Figure } from './types.js'
import type { Host } from '../src/net/host.js'
import type { Marketplace } from '../src/marketplace/index.js'

const SIZES = [10, 25]
const PROTOCOLS = 8
const SEARCHES = 30
const PULLS = 10
const PUBLISH_TARGET = 1000
const SEARCH_MEDIAN_TARGET = 300
const SEARCH_P95_TARGET = 1000
const TOPICS = ['mnist', 'cifar', 'imagenet', 'bert', 'resnet', 'yolo', 'gpt', 'unet']

interface BenchNode { host: Host, market: Marketplace, alive: boolean }

function yaml (name: string, topic: string): Uint8Array {
  return new TextEncoder().encode(`protocolVersion: 2
name: ${name}
type: job
description: ${topic} training with pytorch
prerequisites:
  - type: dockerimage
    name: image
    uri: openpai/pytorch
taskRoles:
  train:
    instances: 1
    dockerImage: image
    resourcePerInstance: { cpu: 1, memoryMB: 1024, gpu: 0 }
    commands:
      - python train.py
`)
}

function quantile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

async function timed<T> (fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now()
  const value = await fn()
  return [performance.now() - start, value]
}

async function startNodes (count: number, db: Level<string, any>): Promise<BenchNode[]> {
  const nodes: BenchNode[] = []
  for (let i = 0; i < count; i++) {
    const records = protocolRecords()
    const privateKey = await generateKeyPair('Ed25519')
    const host = await createHost({
      privateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: i === 0 ? [] : nodes[Math.floor(Math.random() * nodes.length)].host.getMultiaddrs().map(String),
      querySelfInterval: 2000,
      ...dhtRecordOptions(records)
    })
    await host.start()
    const market = createMarketplace({ host, privateKey, db: db.sublevel(`n${count}-${i}`, { valueEncoding: 'json' }) as any, logger: paipLogger() },
      { records, searchTimeout: 2000, searchPeerTimeout: 1000, republishInterval: 0 })
    await market.start()
    nodes.push({ host, market, alive: true })
  }
  const end = Date.now() + 30_000
  while (!nodes.every(n => n.host.services.dht.routingTable.size >= Math.min(count - 1, 3)) && Date.now() < end) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return nodes
}

async function stopNodes (nodes: BenchNode[]): Promise<void> {
  await Promise.allSettled(nodes.filter(n => n.alive).map(async n => { n.alive = false; await n.market.stop(); await n.host.stop() }))
}

async function searchRound (nodes: BenchNode[], label: string, figures: Figure[], log: (line: string) => void): Promise<void> {
  const alive = nodes.filter(n => n.alive)
  const times: number[] = []
  let found = 0
  for (let i = 0; i < SEARCHES; i++) {
    const node = alive[i % alive.length]
    const topic = TOPICS[i % PROTOCOLS]
    const [ms, hits] = await timed(async () => await node.market.searchRanked([topic]))
    times.push(ms)
    if (hits.some(h => h.name === `bench/${topic}-job`)) found++
  }
  log(`${label}: ${found}/${SEARCHES} searches found their protocol`)
  figures.push({ name: `${label} search median`, value: quantile(times, 0.5), unit: 'ms', target: SEARCH_MEDIAN_TARGET })
  figures.push({ name: `${label} search p95`, value: quantile(times, 0.95), unit: 'ms', target: SEARCH_P95_TARGET })
  figures.push({ name: `${label} search success`, value: 100 * found / SEARCHES, unit: '%', target: 100, higherIsBetter: true })
}

export async function run (options: { signal?: AbortSignal, log?: (line: string) => void } = {}): Promise<Figure[]> {
  const log = options.log ?? (() => {})
  const figures: Figure[] = []
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-market-'))
  const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
  await db.open()
  try {
    for (const size of SIZES) {
      if (options.signal?.aborted === true) break
      log(`starting ${size} nodes`)
      const nodes = await startNodes(size, db)
      try {
        const publishers = nodes.slice(0, PROTOCOLS)
        const publishTimes: number[] = []
        const published: string[] = []
        for (let i = 0; i < PROTOCOLS; i++) {
          const [ms, result] = await timed(async () => await publishers[i % publishers.length].market.publish({ user: 'bench', file: `${TOPICS[i]}.yaml`, content: yaml(`${TOPICS[i]}-job`, TOPICS[i]) }))
          publishTimes.push(ms)
          published.push(`${result.publisher}/${result.name}`)
        }
        // first publications: every publisher dials the DHT's closest peers for the first time
        figures.push({ name: `${size} nodes: publish median`, value: quantile(publishTimes, 0.5), unit: 'ms', target: PUBLISH_TARGET })
        figures.push({ name: `${size} nodes: publish max`, value: Math.max(...publishTimes), unit: 'ms', target: PUBLISH_TARGET })

        await searchRound(nodes, `${size} nodes, 0% dead:`, figures, log)

        const pullTimes: number[] = []
        let pulled = 0
        for (let i = 0; i < PULLS; i++) {
          const node = nodes[nodes.length - 1 - (i % (nodes.length - PROTOCOLS))]
          try {
            const [ms] = await timed(async () => await node.market.pull(published[i % published.length]))
            pullTimes.push(ms)
            pulled++
          } catch (err: any) {
            log(`pull of ${published[i % published.length]} failed: ${err?.name as string}`)
          }
        }
        figures.push({ name: `${size} nodes: pull success`, value: 100 * pulled / PULLS, unit: '%', target: 100, higherIsBetter: true })
        figures.push({ name: `${size} nodes: pull median`, value: quantile(pullTimes, 0.5), unit: 'ms' })
        figures.push({ name: `${size} nodes: pull p95`, value: quantile(pullTimes, 0.95), unit: 'ms' })

        // a later version from the same publishers, once their connections are up: steady state
        const updateTimes: number[] = []
        for (let i = 0; i < PROTOCOLS; i++) {
          const [ms] = await timed(async () => await publishers[i % publishers.length].market.publish({ user: 'bench', file: `${TOPICS[i]}.yaml`, content: yaml(`${TOPICS[i]}-job`, `${TOPICS[i]} v2`) }))
          updateTimes.push(ms)
        }
        figures.push({ name: `${size} nodes: publish (new version) median`, value: quantile(updateTimes, 0.5), unit: 'ms', target: PUBLISH_TARGET })
        figures.push({ name: `${size} nodes: publish (new version) max`, value: Math.max(...updateTimes), unit: 'ms', target: PUBLISH_TARGET })

        // 20% of the nodes die (never the publishers), then search again
        const victims = nodes.slice(PROTOCOLS).sort(() => Math.random() - 0.5).slice(0, Math.round(size * 0.2))
        await stopNodes(victims)
        await searchRound(nodes, `${size} nodes, 20% dead:`, figures, log)
      } finally {
        await stopNodes(nodes)
      }
    }
  } finally {
    await db.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await run({ log: line => { process.stdout.write(`   ${line}\n`) } })
  for (const f of figures) process.stdout.write(`${f.name} ${Math.round(f.value)} ${f.unit}${f.target == null ? '' : ` (target ${f.target})`}\n`)
}
