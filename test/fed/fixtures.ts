import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startGrid } from '../fixtures/grid.js'
import { until } from '../fixtures/wait.js'
import type { TestNode, StartNodeOptions } from '../fixtures/daemon.js'

const run = promisify(execFile)
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const EXAMPLE = path.join(ROOT, 'examples', 'federated')
export const FEDLR = path.join(EXAMPLE, 'fedlr.py')
export const TAG = '#fedlr-demo'

/** Runs the example's script with the machine's python3; returns its parsed JSON output. */
export async function fedlr (args: string[]): Promise<any> {
  const { stdout } = await run('python3', [FEDLR, ...args], { timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop() as string)
}

export interface FedGrid {
  nodes: TestNode[]
  /** The generated data: `<data>/node<i>`, `<data>/test`, `<data>/model`. */
  data: string
  train: string
  aggregate: string
  /** Manifest CIDs (and file CIDs) of every node's dataset. */
  datasetCids: Set<string>
  /** CIDs each node served to other nodes over the catalog's fetch protocol. */
  served: string[][]
  stop: () => Promise<void>
}

export interface FedGridOptions {
  nodes?: number
  samples?: number
  node?: (i: number) => StartNodeOptions
  /** Data made by `generateFedData` for as many nodes, shared by grids (kept on stop); default: fresh. */
  data?: string
}

/** The example's data for `nodes` nodes in a new temp dir (`<dir>/node<i>`, `<dir>/test`, `<dir>/model`). */
export async function generateFedData (nodes: number, samples = 150): Promise<string> {
  const data = await mkdtemp(path.join(tmpdir(), 'paip-fed-data-'))
  try {
    await fedlr(['generate', data, '--nodes', String(nodes), '--samples', String(samples)])
    return data
  } catch (err) {
    await rm(data, { recursive: true, force: true })
    throw err
  }
}

/**
 * `count` in-process nodes on the memory transport, each holding one non-IID part of the example's data
 * (private, tagged #fedlr-demo), node 0 also holding the initial model (public). Every node lets
 * any other coordinate rounds (`fed.allowPeers: *`), and none lets others run jobs.
 */
export async function startFedGrid (options: FedGridOptions = {}): Promise<FedGrid> {
  const count = options.nodes ?? 4
  const data = options.data ?? await generateFedData(count, options.samples)
  const nodes: TestNode[] = []
  const served: string[][] = []
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    if (options.data == null) await rm(data, { recursive: true, force: true })
  }
  try {
    const grid = await startGrid(count, {
      node: i => {
        const extra = options.node?.(i) ?? {}
        return { ...extra, config: { fed: { allowPeers: ['*'] }, ...(extra.config ?? {}) } }
      }
    })
    nodes.push(...grid.nodes)
    for (const node of nodes) {
      const log: string[] = []
      served.push(log)
      const blobs = node.node.components.blobs
      const get = blobs.get.bind(blobs)
      // the catalog's fetch handler reads in chunks: record what it serves to other nodes
      blobs.get = (cid, opts) => { if (opts?.chunkSize != null) log.push(cid.toString()); return get(cid, opts) }
    }
    const datasetCids = new Set<string>()
    for (let i = 0; i < count; i++) {
      const catalog = nodes[i].node.components.catalog
      const entry = await catalog.add('dataset', { path: path.join(data, `node${i}`) }, { name: `fedlr-part-${i}`, tags: [TAG] })
      datasetCids.add(entry.manifest)
      for (const f of (await catalog.resolve('dataset', entry.manifest)).files) datasetCids.add(f.cid)
    }
    await nodes[0].node.components.catalog.add('model', { path: path.join(data, 'model') }, { name: 'fedlr-init', tags: ['#fedlr'], framework: 'python', task: 'classification', public: true })
    await until(async () => (await nodes[0].node.components.jobs.offers(TAG)).filter(o => o.holds).length === count, 60_000, 'every holder of the tag to be found')
    return {
      nodes,
      data,
      train: await readFile(path.join(EXAMPLE, 'train.yaml'), 'utf8'),
      aggregate: await readFile(path.join(EXAMPLE, 'fedavg.yaml'), 'utf8'),
      datasetCids,
      served,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}
