import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { promisify } from 'node:util'
import vm from 'node:vm'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { createJobs } from '../src/jobs/index.js'
import { createJobStore } from '../src/jobs/store.js'
import { createHost } from '../src/net/host.js'
import { createBlobStore } from '../src/storage/index.js'
import type { Bench, Figure } from './types.js'
import type { Jobs, LocalContent, RuntimeName, RuntimeSetting, StoredJob } from '../src/jobs/index.js'
import type { Host } from '../src/net/host.js'

/**
 * Jobs (issue 6): dispatch overhead from node A to node C holding the dataset (submit until the
 * first command starts, median of 50), 1,000 trivial jobs through 4 slots (all must succeed),
 * and the heap a node needs for 10,000 finished job records.
 */

const execFileAsync = promisify(execFile)

const DISPATCH_JOBS = 50
const THROUGHPUT_JOBS = 1000
const RECORDS = 10_000
const DISPATCH_TARGET_MS = 200
/** Submit → first command, per runtime, on top of the process runtime's dispatch (issue 9). */
const RUNTIME_TARGET_MS: Record<string, number> = { process: DISPATCH_TARGET_MS, sandbox: 50, container: 1000 }
/** The image the container runtime's dispatch runs, built locally (no registry is needed). */
const BENCH_IMAGE = 'localhost/paip-bench-busybox:latest'

const PROTOCOL = `protocolVersion: 2
name: bench_job
type: job
prerequisites:
  - { name: image, type: dockerimage, uri: alpine:3 }
taskRoles:
  main:
    instances: 1
    dockerImage: image
    resourcePerInstance: { cpu: 1, memoryMB: 64, gpu: 0 }
    commands:
      - 'true'
`

interface Node { host?: Host, db: Level<string, any>, jobs: Jobs, dir: string }

async function node (dataset: LocalContent | undefined, host: Host | undefined, holders: string[], init: { slots: number, allow?: string[], runtime?: RuntimeSetting, engine?: string }): Promise<Node> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-jobs-'))
  const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
  await db.open()
  const resolver = {
    resolve: async (ref: string) => dataset != null && [dataset.cid, dataset.name, '#MNIST'].includes(ref) ? dataset : undefined,
    findHolders: async () => holders
  }
  const jobs = createJobs({ db: db.sublevel('jobs') as any, blobs: createBlobStore({ dir: path.join(dir, 'blobs') }), datasets: resolver, host, peerId: 'bench-node' },
    { dir: path.join(dir, 'jobs'), slots: init.slots, env: { PATH: process.env.PATH }, allow: { peers: init.allow ?? [] }, ...(init.runtime == null ? {} : { runtime: init.runtime }), ...(init.engine == null ? {} : { engine: init.engine }) })
  await jobs.start()
  return { host, db, jobs, dir }
}

async function close (n: Node): Promise<void> {
  await n.jobs.stop()
  await n.host?.stop()
  await n.db.close()
  await fs.rm(n.dir, { recursive: true, force: true })
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function settle (jobs: Jobs, ids: string[], signal: AbortSignal): Promise<Map<string, string>> {
  const states = new Map<string, string>()
  const pending = new Set(ids)
  await new Promise<void>((resolve, reject) => {
    const check = (job: { id: string, state: string }): void => {
      if (!pending.has(job.id) || !['succeeded', 'failed', 'cancelled'].includes(job.state)) return
      states.set(job.id, job.state)
      pending.delete(job.id)
      if (pending.size === 0) { jobs.events.off('job', check); resolve() }
    }
    jobs.events.on('job', check)
    signal.addEventListener('abort', () => { jobs.events.off('job', check); reject(new Error('aborted')) }, { once: true })
    void Promise.all(ids.map(async id => { check(await jobs.status(id)) }))
  })
  return states
}

async function dispatchOverhead (log: (line: string) => void, signal: AbortSignal, runtime: RuntimeName = 'process', engine?: string): Promise<Figure> {
  const protocol = runtime === 'container' ? PROTOCOL.replace('uri: alpine:3', `uri: ${BENCH_IMAGE}`) : PROTOCOL
  const first = protocol.replace("- 'true'", '- echo started')
  const hostA = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await hostA.start()
  const hostC = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: hostA.getMultiaddrs().map(a => a.toString()) })
  await hostC.start()
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-data-'))
  const dataset: LocalContent = { id: 'mnist', name: 'mnist', cid: 'bafkbenchmnist', tags: ['MNIST'], dir }
  const a = await node(undefined, hostA, [hostC.peerId.toString()], { slots: 1 })
  const c = await node(dataset, hostC, [], { slots: 4, allow: [hostA.peerId.toString()], runtime, ...(engine == null ? {} : { engine }) })
  try {
    await hostA.dial(hostC.getMultiaddrs()[0])
    const times: number[] = []
    for (let i = 0; i < DISPATCH_JOBS && !signal.aborted; i++) {
      const id = `dispatch-${i}`
      const t0 = performance.now()
      const sent = await a.jobs.run({ id, protocol: first, dataset: '#MNIST' }, { signal })
      if (sent.job.runtime !== runtime) throw new Error(`the job ran in the ${sent.job.runtime} runtime, not ${runtime}`)
      // the first command has run when its first line reaches the job's log on C
      let t1 = NaN
      for await (const chunk of c.jobs.logs(id, { follow: true, signal })) { if (chunk.byteLength > 0) { t1 = performance.now(); break } }
      await settle(c.jobs, [id], signal)
      times.push(t1 - t0)
    }
    log(`dispatch A→C (${runtime}): min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${times.length}`)
    return { name: `dispatch overhead, ${runtime} runtime (submit → first command), median`, value: median(times), unit: 'ms', target: RUNTIME_TARGET_MS[runtime] }
  } finally {
    await close(a)
    await close(c)
    await fs.rm(dir, { recursive: true, force: true })
  }
}

async function throughput (log: (line: string) => void, signal: AbortSignal): Promise<Figure[]> {
  const n = await node(undefined, undefined, [], { slots: 4 })
  try {
    const t0 = performance.now()
    const ids: string[] = []
    for (let i = 0; i < THROUGHPUT_JOBS; i++) {
      const id = `t-${i}`
      ids.push(id)
      await n.jobs.submit({ id, protocol: PROTOCOL }, { peer: n.jobs.self })
    }
    const states = await settle(n.jobs, ids, signal)
    const seconds = (performance.now() - t0) / 1000
    const ok = [...states.values()].filter(s => s === 'succeeded').length
    log(`${ok} of ${THROUGHPUT_JOBS} succeeded in ${seconds.toFixed(1)} s`)
    return [
      { name: `${THROUGHPUT_JOBS} trivial jobs through 4 slots`, value: THROUGHPUT_JOBS / seconds, unit: 'jobs/s', higherIsBetter: true },
      { name: 'trivial jobs that succeeded', value: ok / THROUGHPUT_JOBS * 100, unit: '%', target: 100, higherIsBetter: true }
    ]
  } finally {
    await close(n)
  }
}

function gc (): void {
  v8.setFlagsFromString('--expose-gc')
  const collect = vm.runInNewContext('gc') as () => void
  collect()
  collect()
}

async function recordsMemory (log: (line: string) => void): Promise<Figure[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-records-'))
  const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
  await db.open()
  try {
    const store = createJobStore(db.sublevel('jobs') as any)
    const now = Date.now()
    for (let i = 0; i < RECORDS; i++) {
      const job: StoredJob = {
        id: `done-${i}`, state: 'succeeded', name: 'bench_job', submitter: { peer: 'bench-node' }, node: 'bench-node', runtime: 'process',
        parameters: { epochs: '3' }, secrets: [], createdAt: now + i, startedAt: now + i, finishedAt: now + i + 1, attempts: 1, retries: 0,
        timeLimit: 3_600_000, exitCode: 0, outputs: [{ path: 'result.json', cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', size: 42 }], logBytes: 10, protocol: PROTOCOL
      }
      await store.create(job, {})
      await store.put(job)
    }
    gc()
    const before = process.memoryUsage().heapUsed
    const jobs = createJobs({ db: db.sublevel('jobs') as any, blobs: createBlobStore({ dir: path.join(dir, 'blobs') }), datasets: { resolve: async () => undefined }, peerId: 'bench-node' },
      { dir: path.join(dir, 'jobs'), slots: 4 })
    const t0 = performance.now()
    await jobs.start()
    const startMs = performance.now() - t0
    gc()
    const after = process.memoryUsage().heapUsed
    const t1 = performance.now()
    const listed = await jobs.list({ limit: 100 })
    const listMs = performance.now() - t1
    const status = await jobs.status('done-5000')
    log(`start with ${RECORDS} records: ${startMs.toFixed(1)} ms; list 100 newest: ${listMs.toFixed(1)} ms (${listed.length}); status ok: ${status.state}`)
    await jobs.stop()
    return [
      { name: `heap held for ${RECORDS} finished job records`, value: Math.max(0, after - before) / 1024 / 1024, unit: 'MiB', note: 'records stay in level; only unfinished jobs are in memory' },
      { name: `start with ${RECORDS} finished records`, value: startMs, unit: 'ms' }
    ]
  } finally {
    await db.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

/**
 * The container runtime's engine: `PAIP_JOB_CONTAINER_ENGINE` when set (e.g. the tests'
 * podman wrapper on hybrid-cgroup hosts), else docker or podman on PATH.
 */
async function containerOverhead (log: (line: string) => void, signal: AbortSignal): Promise<Figure> {
  const engine = process.env.PAIP_JOB_CONTAINER_ENGINE
  const { localImage, TEST_ENGINE } = await import('../test/fixtures/containers/image.js')
  try {
    await localImage(BENCH_IMAGE, engine ?? TEST_ENGINE)
    return await dispatchOverhead(log, signal, 'container', engine ?? TEST_ENGINE)
  } catch (err: any) {
    log(`container runtime not measured: ${err?.message ?? err}`)
    return { name: 'dispatch overhead, container runtime (submit → first command), median', value: NaN, unit: 'ms', target: RUNTIME_TARGET_MS.container, note: `not measured: ${err?.message ?? err}` }
  }
}

/** Median wall time (ms) of bubblewrap alone starting `true` in new namespaces; undefined without bwrap. */
async function bwrapAlone (runs = 20): Promise<number | undefined> {
  const times: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await execFileAsync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', '--die-with-parent', 'true'])
      times.push(performance.now() - t0)
    }
  } catch { return undefined }
  return median(times)
}

/** Why the sandbox's dispatch costs what it does, from what was measured next to it. */
async function sandboxReason (plain: Figure, sandbox: Figure): Promise<string> {
  const bwrap = await bwrapAlone()
  const added = sandbox.value - plain.value
  return `the process runtime's own dispatch (signed request, stream, job record, spawn) is ${plain.value.toFixed(1)} ms of it, measured just before; ` +
    `the sandbox adds ${added.toFixed(1)} ms, of which bubblewrap alone (new namespaces, mounts, exec of \`true\`, median of 20) takes ${bwrap == null ? 'an unmeasured part (no bwrap)' : `${bwrap.toFixed(1)} ms`}; ` +
    'the rest is paip\'s setup around it (the job\'s cgroup, its bind mounts)'
}

export const run: Bench = async ({ signal, log, report }) => {
  const figures: Figure[] = []
  const processFigure = await dispatchOverhead(log, signal, 'process')
  const sandboxFigure = await dispatchOverhead(log, signal, 'sandbox')
  if (sandboxFigure.target != null && sandboxFigure.value > sandboxFigure.target) sandboxFigure.reason = await sandboxReason(processFigure, sandboxFigure)
  for (const figure of [
    processFigure,
    sandboxFigure,
    await containerOverhead(log, signal)
  ]) report(figure)
  figures.push(...await throughput(log, signal))
  figures.push(...await recordsMemory(log))
  return figures
}
