import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { PAIP_BIN, spawnDaemon, stopDaemon } from '../../src/testbed/index.js'
import { readToken } from '../../src/testbed/process.js'
import { replayable } from '../fixtures/seed.js'
import { until } from '../fixtures/wait.js'
import type { DaemonProcess } from '../../src/testbed/index.js'

const ARGS = ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
const MB = 1024 * 1024

/** What the blob directory holds: blob files (by CID) and temp files, with their bytes. */
async function blobDir (home: string): Promise<{ blobs: Map<string, number>, temp: number, tempBytes: number }> {
  const dir = join(home, 'blobs')
  const blobs = new Map<string, number>()
  let temp = 0
  let tempBytes = 0
  for (const shard of await readdir(dir).catch(() => [] as string[])) {
    if (shard === 'partial') continue
    for (const name of await readdir(join(dir, shard)).catch(() => [] as string[])) {
      const size = (await stat(join(dir, shard, name)).catch(() => ({ size: 0 }))).size
      if (shard === 'tmp') { temp++; tempBytes += size } else blobs.set(name, size)
    }
  }
  return { blobs, temp, tempBytes }
}

async function writeTree (dir: string, files: number, bytesEach: number): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (let i = 0; i < files; i++) await writeFile(join(dir, `part-${i}.bin`), randomBytes(bytesEach))
}

describe('node: nothing leaks after a crash', function () {
  this.timeout(180_000)
  // how far the add has got when the daemon is killed comes from this seed (PAIP_TEST_SEED replays it)
  const seed = replayable(this)
  let dir: string
  const running: DaemonProcess[] = []

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'paip-crash-sweep-')) })
  after(async () => {
    await Promise.allSettled(running.splice(0).map(async d => await stopDaemon(d)))
    await rm(dir, { recursive: true, force: true })
  })

  it(`reclaims the orphan blobs and temp file of a \`paip datasets add\` killed with -9, keeping every referenced blob; \`paip gc\` sweeps while it runs (seed ${seed.seed})`, async () => {
    const stored = seed.int(2, 4)
    const home = join(dir, 'home')
    const env = { PATH: process.env.PATH, PAIP_HOME: home }
    const first = await spawnDaemon({ home, args: ARGS, env })
    running.push(first)
    const client = createApiClient({ url: first.started.url, token: await readToken(home) })

    // a dataset that must survive every sweep
    await writeTree(join(dir, 'kept'), 3, 256 * 1024)
    // (the answer waits for the DHT announcement, which a node alone only gives up on after a while: registered is enough)
    const adding = client.post<any>('/api/v1/datasets', { path: join(dir, 'kept'), metadata: { name: 'kept', description: 'kept' } }, { signal: AbortSignal.timeout(170_000) }).catch(() => {})
    await until(async () => (await client.get<any>('/api/v1/datasets')).datasets.some((d: any) => d.name === 'kept'), 60_000, 'the dataset "kept" to be registered')
    const kept = await client.get<any>('/api/v1/datasets/kept')
    const keptFiles: Array<{ cid: string }> = (await client.get<any>('/api/v1/datasets/kept')).manifestFiles
    const keptBlobs = new Set((await blobDir(home)).blobs.keys())
    assert.ok(keptBlobs.size >= keptFiles.length + 1)

    // 96 MB added through the real CLI; the daemon is killed with -9 half-way
    await writeTree(join(dir, 'big'), 12, 8 * MB)
    const add = spawn(process.execPath, [PAIP_BIN, 'datasets', 'add', join(dir, 'big'), '--name', 'big', '--tags', '#big'], { env, stdio: 'ignore' })
    const addExited = new Promise(resolve => add.once('exit', resolve))
    await until(async () => {
      const now = await blobDir(home)
      return now.blobs.size - keptBlobs.size >= stored && now.tempBytes > 0
    }, 60_000, `the add to be part-way (${stored} blobs stored and a file being written)`)
    first.child.kill('SIGKILL')
    await first.exited
    await addExited
    await adding
    const crashed = await blobDir(home)
    const orphanBytes = [...crashed.blobs].filter(([cid]) => !keptBlobs.has(cid)).reduce((sum, [, size]) => sum + size, 0) + crashed.tempBytes
    assert.ok(orphanBytes > 4 * MB, `the crash left ${orphanBytes} bytes behind`)
    assert.ok(crashed.temp > 0, 'a temp file was left')

    // a restart reclaims it all and keeps what is referenced
    const second = await spawnDaemon({ home, args: ARGS, env })
    running.push(second)
    const after = await blobDir(home)
    assert.equal(after.temp, 0)
    assert.deepEqual(new Set(after.blobs.keys()), keptBlobs)
    assert.match(second.log(), /reclaimed \d+ unreferenced blob\(s\)/)
    const again = createApiClient({ url: second.started.url, token: await readToken(home) })
    await assert.rejects(again.get('/api/v1/datasets/big'), (err: any) => err.status === 404)
    assert.equal((await again.get<any>('/api/v1/datasets/kept')).manifest, kept.manifest)

    // `paip gc` while the node runs: an old orphan goes, a fresh one (a write in progress) and the referenced stay
    const orphan = join(home, 'blobs', 'tmp', 'left-over')
    await writeFile(orphan, Buffer.alloc(1000))
    const fresh = join(home, 'blobs', 'tmp', 'being-written')
    await writeFile(fresh, Buffer.alloc(1000))
    const past = new Date(Date.now() - 3600_000)
    await utimes(orphan, past, past)
    const gc = await new Promise<{ code: number | null, out: string }>(resolve => {
      const child = spawn(process.execPath, [PAIP_BIN, '--json', 'gc'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', chunk => { out += String(chunk) })
      child.once('exit', code => { resolve({ code, out }) })
    })
    assert.equal(gc.code, 0, gc.out)
    assert.equal(JSON.parse(gc.out).temp, 1)
    await assert.rejects(stat(orphan))
    await stat(fresh)
    assert.deepEqual(new Set((await blobDir(home)).blobs.keys()), keptBlobs)
  })
})
