import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { createApiClient } from '../src/client/index.js'
import { defaultConfig } from '../src/node/config.js'
import { createNode } from '../src/node/node.js'
import { runWorkflow } from '../src/workflow/index.js'
import type { Bench, Figure } from './types.js'
import type { ApiClient } from '../src/client/index.js'
import type { Node } from '../src/node/node.js'

/**
 * Algorithms and workflows (seed 004): a trivial algorithm's call latency (median of 50), cold
 * (the first call of a version: unpack, then run) and warm (the version already unpacked), on
 * the hosting node and forwarded from another node; and a workflow's total time against the
 * bytes it moves between two nodes.
 */

const CALLS = 50
const WORKFLOW_SIZES_MIB = [1, 16, 64]

interface Running { node: Node, home: string, admin: ApiClient }

async function start (bootstrap: string[] = []): Promise<Running> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-algo-'))
  const config = defaultConfig()
  config.api.port = 0
  config.network.listen = ['/ip4/127.0.0.1/tcp/0']
  config.network.bootstrap = bootstrap
  const node = createNode({ home, config })
  await node.start()
  const token = (await fs.readFile(path.join(home, 'token'), 'utf8')).trim()
  return { node, home, admin: createApiClient({ url: node.url, token, timeout: 300_000 }) }
}

async function stop (r: Running): Promise<void> {
  await r.node.stop()
  await fs.rm(r.home, { recursive: true, force: true })
}

async function tarball (dir: string, files: Record<string, string>): Promise<Buffer> {
  const src = await fs.mkdtemp(path.join(dir, 'src-'))
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(src, name)), { recursive: true })
    await fs.writeFile(path.join(src, name), text)
  }
  const file = path.join(src, 'code.tar.gz')
  await tar.c({ gzip: true, file, cwd: src, portable: true }, Object.keys(files))
  return await fs.readFile(file)
}

async function put (client: ApiClient, dataPath: string, bytes: Uint8Array): Promise<void> {
  await client.request('/api/v1/data/' + dataPath.slice('data://'.length), { method: 'PUT', raw: true, body: bytes, headers: { 'content-type': 'application/octet-stream' } })
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function timed (work: () => Promise<unknown>): Promise<number> {
  const at = performance.now()
  await work()
  return performance.now() - at
}

const ECHO = { 'src/algorithm.py': 'def apply(input):\n    return input\n' }

export const run: Bench = async ({ log, report }) => {
  const figures: Figure[] = []
  const a = await start()
  const b = await start(a.node.components.host.getMultiaddrs().map(x => x.toString()))
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-algo-src-'))
  try {
    await put(a.admin, 'data://.my/code/echo.tar.gz', await tarball(scratch, ECHO))
    const cold: number[] = []
    for (let i = 0; i < CALLS; i++) {
      const v = await a.admin.post<any>('/api/v1/algorithms', { name: 'echo', code: 'data://.my/code/echo.tar.gz', language: 'python3' })
      cold.push(await timed(async () => await a.admin.post('/api/v1/algorithms/admin/echo', { i }, { query: { version: v.version } })))
    }
    report({ name: 'algorithm call, cold (new version), median of 50', value: median(cold), unit: 'ms' })
    const warm: number[] = []
    for (let i = 0; i < CALLS; i++) warm.push(await timed(async () => await a.admin.post('/api/v1/algorithms/admin/echo', { i })))
    report({ name: 'algorithm call, warm, median of 50', value: median(warm), unit: 'ms' })
    await b.admin.post('/api/v1/algorithms/admin/echo', {}) // finds the host once
    const forwarded: number[] = []
    for (let i = 0; i < CALLS; i++) forwarded.push(await timed(async () => await b.admin.post('/api/v1/algorithms/admin/echo', { i })))
    report({ name: 'algorithm call from another node, warm, median of 50', value: median(forwarded), unit: 'ms' })

    const destination = { url: b.node.url, key: (await fs.readFile(path.join(b.home, 'token'), 'utf8')).trim() }
    const sourceKey = (await fs.readFile(path.join(a.home, 'token'), 'utf8')).trim()
    for (const mib of WORKFLOW_SIZES_MIB) {
      await put(a.admin, `data://.my/models/weights-${mib}.bin`, randomBytes(mib * 1024 * 1024))
      const report2 = await runWorkflow({
        workflow: {
          source_info: { cluster_address: a.node.url },
          test_info: { entrypoint: `echo${mib}`, tests: [{ name: 'echo', payload: { ok: true } }] },
          algorithms: [{ name: `echo${mib}`, code_path: 'data://.my/code/echo.tar.gz', language: 'python3', data_files: [`data://.my/models/weights-${mib}.bin`], test_payload: 1 }]
        },
        source: { key: sourceKey },
        destination
      })
      if (!report2.ok) throw new Error(`the workflow failed: ${report2.failed ?? ''}`)
      const mb = report2.bytes / 1e6
      log(`workflow moving ${mib} MiB: ${report2.steps.map(s => `${s.step} ${s.duration} ms`).join(', ')}`)
      report({ name: `workflow total, ${mib} MiB of data files`, value: report2.duration, unit: 'ms', note: `${report2.bytes} bytes moved, ${(mb / (report2.duration / 1000)).toFixed(1)} MB/s overall` })
    }
  } finally {
    await stop(b)
    await stop(a)
    await fs.rm(scratch, { recursive: true, force: true })
  }
  return figures
}
