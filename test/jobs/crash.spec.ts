import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createJobs } from '../../src/jobs/index.js'
import { replayable } from '../fixtures/seed.js'
import { until } from '../fixtures/wait.js'
import { alive, readPid, workspace } from './fixtures.js'
import type { Jobs } from '../../src/jobs/index.js'
import type { Bench } from './fixtures.js'

const NODE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-node.js')

describe('jobs: a node killed with SIGKILL', function () {
  this.timeout(40_000)
  // how long after its job started the node is killed comes from this seed (PAIP_TEST_SEED replays it)
  const seed = replayable(this)
  let ws: Bench
  let jobs: Jobs | undefined
  let childPid: number | undefined

  beforeEach(async () => { ws = await workspace(); await ws.db.close() })
  afterEach(async () => {
    await jobs?.stop()
    if (childPid != null && alive(childPid)) process.kill(childPid, 'SIGKILL')
    await ws.cleanup()
  })

  it(`comes back with the queued job queued, the running one failed "node restarted" and its processes gone (seed ${seed.seed})`, async () => {
    const node = spawn(process.execPath, [NODE, ws.dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('the node did not get ready')) }, 30_000)
        node.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) { clearTimeout(timer); resolve() } })
        node.once('exit', code => { clearTimeout(timer); reject(new Error(`the node exited with ${code}`)) })
      })
      await sleep(seed.int(0, 300))
    } finally {
      node.kill('SIGKILL')
    }
    await new Promise(resolve => node.once('exit', resolve))
    childPid = await readPid(path.join(ws.dir, 'child.pid'))
    assert.ok(alive(childPid), 'the job\'s child outlives the killed node')

    await ws.db.open()
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: { resolve: async () => undefined }, peerId: 'crash-node' },
      { dir: path.join(ws.dir, 'jobs'), slots: 0 })
    await jobs.start()
    assert.equal((await jobs.status('crash-queued')).state, 'queued')
    const failed = await jobs.status('crash-running')
    assert.equal(failed.state, 'failed')
    assert.equal(failed.reason, 'node restarted')
    await until(() => !alive(childPid as number), 5000, 'the leftover process to be killed')
  })

  it(`leaves nothing of a sandboxed job running once the node is killed, and fails it "node restarted" on restart (seed ${seed.seed})`, async () => {
    const marker = `300.${process.pid}7`
    const node = spawn(process.execPath, [NODE, ws.dir, 'sandbox', marker], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('the node did not get ready')) }, 30_000)
        node.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) { clearTimeout(timer); resolve() } })
        node.once('exit', code => { clearTimeout(timer); reject(new Error(`the node exited with ${code}`)) })
      })
      assert.equal((await sleepsWith(marker)).length, 1, 'the job\'s sleep runs')
      await sleep(seed.int(0, 300))
    } finally {
      node.kill('SIGKILL')
    }
    await new Promise(resolve => node.once('exit', resolve))
    // bwrap dies with the node, and the pid namespace with it: no setsid escapee survives
    await until(async () => (await sleepsWith(marker)).length === 0, 5000, 'the sandboxed sleep to die with the node')
    await ws.db.open()
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: { resolve: async () => undefined }, peerId: 'crash-node' },
      { dir: path.join(ws.dir, 'jobs'), slots: 0 })
    await jobs.start()
    const failed = await jobs.status('crash-running')
    assert.equal(failed.state, 'failed')
    assert.equal(failed.reason, 'node restarted')
  })
})

/** Live processes whose command line is `sleep <marker>`. */
async function sleepsWith (marker: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises')
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    if (cmdline === `sleep\0${marker}\0` && !/^\d+ \(.*\) Z/.test(stat)) found.push(Number(entry))
  }
  return found
}
