import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnDaemon, stopDaemon, DaemonStartError } from '../../src/testbed/index.js'
import type { DaemonProcess } from '../../src/testbed/index.js'

const ARGS = ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']
const env = (): Record<string, string | undefined> => ({ PATH: process.env.PATH })

describe('node: the daemon process', function () {
  this.timeout(120_000)
  let home: string
  const running: DaemonProcess[] = []

  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'paip-daemon-')) })
  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map(async d => stopDaemon(d)))
    await rm(home, { recursive: true, force: true })
  })

  it('stops cleanly within a few seconds on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const daemon = await spawnDaemon({ home, args: ARGS, env: env() })
      running.push(daemon)
      assert.ok(daemon.started.addresses.some(a => a.includes('/ws')), 'listens on WebSockets too')
      const t0 = Date.now()
      daemon.child.kill(signal)
      const { code } = await daemon.exited
      assert.equal(code, 0, daemon.log())
      assert.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms`)
      await assert.rejects(stat(join(home, 'daemon.lock')), 'the lock is released')
      await assert.rejects(stat(join(home, 'api')), 'the api file is removed')
    }
  })

  it('keeps its peer ID across restarts', async () => {
    const first = await spawnDaemon({ home, args: ARGS, env: env() })
    running.push(first)
    await stopDaemon(first)
    const second = await spawnDaemon({ home, args: ARGS, env: env() })
    running.push(second)
    assert.equal(second.started.peerId, first.started.peerId)
    assert.equal((await readFile(join(home, 'api'), 'utf8')).trim(), second.started.url)
  })

  it('a second daemon on the same home exits at once with a clear error naming the first, and leaves the first running', async () => {
    const first = await spawnDaemon({ home, args: ARGS, env: env() })
    running.push(first)
    // "at once": the home's lock is the first thing a daemon takes, so the second gives up before
    // it opens anything (no timing here: under load a start of node itself takes seconds)
    await assert.rejects(spawnDaemon({ home, args: ARGS, env: env() }), (err: any) => {
      assert.ok(err instanceof DaemonStartError)
      assert.match(err.message, /exited with code 6/)
      assert.match(err.stderr, new RegExp(`is in use by another daemon \\(pid ${first.started.pid}\\)`))
      return true
    })
    assert.equal((await readFile(join(home, 'daemon.lock'), 'utf8')).trim(), String(first.started.pid))
    assert.equal((await readFile(join(home, 'api'), 'utf8')).trim(), first.started.url)
    assert.equal((await fetch(`${first.started.url}/health-check`)).status, 200)
  })

  it('takes a fixed identity from PAIP_IDENTITY', async () => {
    const { generateIdentity } = await import('../../src/node/identity.js')
    const identity = await generateIdentity()
    const daemon = await spawnDaemon({ home, args: ARGS, env: { ...env(), PAIP_IDENTITY: identity.privateKey } })
    running.push(daemon)
    assert.equal(daemon.started.peerId, identity.peerId)
  })
})
