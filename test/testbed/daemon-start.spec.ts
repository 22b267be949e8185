import assert from 'node:assert/strict'
import { DaemonStartError, spawnDaemon, stopDaemon } from '../../src/testbed/index.js'
import { removeDir, tempDir } from '../fixtures/temp.js'
import type { DaemonProcess } from '../../src/testbed/index.js'

const ARGS = ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
const env = (): Record<string, string | undefined> => ({ PATH: process.env.PATH })
/** A command prefix that keeps a core busy for `s` seconds before it execs the daemon: a slow start. */
const busyFor = (s: number): string[] => ['sh', '-c', `end=$(( $(date +%s) + ${s} )); while [ "$(date +%s)" -lt "$end" ]; do :; done; exec "$@"`, 'sh']
/** One that sleeps (uses no CPU) for `s` seconds first: a stuck start. */
const sleepFor = (s: number): string[] => ['sh', '-c', `sleep ${s}; exec "$@"`, 'sh']

describe('testbed: a daemon\'s start is waited for while it runs, not for a fixed time', function () {
  this.timeout(120_000)
  let home: string
  const running: DaemonProcess[] = []

  beforeEach(async () => { home = await tempDir('paip-start-') })
  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map(async d => stopDaemon(d)))
    await removeDir(home)
  })

  it('waits for a start that takes longer than the timeout while it keeps using CPU (a busy machine)', async function () {
    if (process.platform !== 'linux') this.skip()
    const daemon = await spawnDaemon({ home, args: ARGS, env: env(), wrap: busyFor(4), timeout: 1500 })
    running.push(daemon)
    assert.ok(daemon.started.ms >= 4000, `started after ${daemon.started.ms} ms`)
    assert.ok((daemon.started.cpuMs ?? 0) > 0, 'says how much CPU the start used')
  })

  it('gives up on a start that uses no CPU for the timeout, saying it is stuck and how much CPU it got', async function () {
    if (process.platform !== 'linux') this.skip()
    const t0 = Date.now()
    await assert.rejects(spawnDaemon({ home, args: ARGS, env: env(), wrap: sleepFor(60), timeout: 1500 }), (err: any) => {
      assert.ok(err instanceof DaemonStartError)
      assert.match(err.message, /used no CPU for 1500 ms \(stuck, not slow\); it used [\d.]+ s of CPU in [\d.]+ s \(load average [\d.]+ on \d+ cores\)/)
      return true
    })
    assert.ok(Date.now() - t0 < 30_000, `gave up after ${Date.now() - t0} ms`)
  })

  it('gives up at maxTimeout however busy the start is', async () => {
    const t0 = Date.now()
    await assert.rejects(spawnDaemon({ home, args: ARGS, env: env(), wrap: busyFor(60), timeout: 1000, maxTimeout: 3000 }), (err: any) => {
      assert.ok(err instanceof DaemonStartError)
      assert.match(err.message, /did not start within 3000 ms/)
      return true
    })
    assert.ok(Date.now() - t0 < 30_000, `gave up after ${Date.now() - t0} ms`)
  })

  it('stops waiting, and kills the process, when the caller aborts', async () => {
    const controller = new AbortController()
    const starting = spawnDaemon({ home, args: ARGS, env: env(), wrap: sleepFor(60), signal: controller.signal })
    controller.abort()
    await assert.rejects(starting, /was cancelled/)
  })
})
