import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paip } from '../fixtures/cli.js'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import type { Server } from 'node:net'

async function listenOn (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

async function close (server: Server): Promise<void> {
  await new Promise(resolve => server.close(resolve))
}

describe('node: bad input', () => {
  let home: string

  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'paip-bad-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('`paip daemon` refuses a malformed config.yaml, naming the file and line', async () => {
    await writeFile(join(home, 'config.yaml'), 'api:\n  port: 1\n  host: [oops\n')
    const run = await paip(['--home', home, 'daemon'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, new RegExp(`${join(home, 'config.yaml').replace(/[/.]/g, '\\$&')}:\\d+: malformed YAML`))
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line, no stack trace')
  })

  it('warns about unknown config keys and starts anyway', async () => {
    await writeFile(join(home, 'config.yaml'), 'colour: blue\n')
    const controller = new AbortController()
    const running = paip(['--home', home, 'daemon'], { env: { PAIP_API_PORT: '0', PAIP_LISTEN: '/ip4/127.0.0.1/tcp/0' }, signal: controller.signal })
    await until(async () => (await readFile(join(home, 'api'), 'utf8').catch(() => '')) !== '', 10_000, 'the daemon to start')
    controller.abort()
    const run = await running
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /warning: unknown config key colour/)
    assert.match(run.stdout, /paip node stopped/)
  })

  it('names the port when the HTTP port is in use', async () => {
    const { server, port } = await listenOn()
    try {
      await assert.rejects(startNode({ home, keepHome: true, config: { api: { port } } }), (err: any) => {
        assert.equal(err.name, 'PortInUseError')
        assert.equal(err.port, port)
        assert.match(err.message, new RegExp(`port ${port} is already in use`))
        return true
      })
      // and the failed start released the home
      const node = await startNode({ home, keepHome: true })
      await node.stop()
    } finally {
      await close(server)
    }
  })

  it('names the port when the libp2p port is in use', async () => {
    const { server, port } = await listenOn()
    try {
      await assert.rejects(startNode({ home, keepHome: true, config: { network: { listen: [`/ip4/127.0.0.1/tcp/${port}`] } } }), (err: any) => {
        assert.equal(err.name, 'PortInUseError')
        assert.match(err.message, new RegExp(`port ${port} is already in use`))
        return true
      })
    } finally {
      await close(server)
    }
  })

  it('logs unreachable and malformed bootstrap addresses and starts anyway', async () => {
    const { server, port } = await listenOn()
    await close(server) // nothing listens there now
    const warnings: string[] = []
    const node = await startNode({
      home,
      keepHome: true,
      onWarning: message => { warnings.push(message) },
      config: {
        network: {
          bootstrap: [
            `/ip4/127.0.0.1/tcp/${port}/p2p/12D3KooWFWuZzpUE92KfATL4tNVbRnZDKDwcKX9ki88mQa9RyNYk`,
            '/ip4/not-an-ip/tcp/1',
            'garbage',
            '/ip4/127.0.0.1/tcp/4001'
          ]
        }
      }
    })
    try {
      assert.ok(warnings.length >= 3)
      assert.match(warnings.join('\n'), /not-an-ip/)
      assert.match(warnings.join('\n'), /garbage/)
      assert.match(warnings.join('\n'), /no \/p2p\/<peer id>/)
      await until(() => warnings.length === 4, 15_000, 'the unreachable bootstrap peer to be reported')
      assert.match(warnings[3], new RegExp(`bootstrap peer /ip4/127.0.0.1/tcp/${port}/.* could not be reached`))
      const health = await node.anonymous.get<any>('/health-check')
      assert.equal(health.status, 'ok')
    } finally {
      await node.stop()
    }
  })

  it('refuses a second node on the same home', async () => {
    const first = await startNode({ home, keepHome: true })
    try {
      const run = await paip(['--home', home, 'daemon'])
      assert.equal(run.code, 6)
      assert.match(run.stderr, /node home .* is in use by another daemon \(pid \d+\)/)
    } finally {
      await first.stop()
    }
  })

  it('refuses a corrupted database with a clear message and changes nothing', async () => {
    const db = join(home, 'db')
    await mkdir(db, { recursive: true })
    await writeFile(join(db, 'CURRENT'), 'MANIFEST-000042\n')
    await writeFile(join(db, 'LOG'), 'old log\n')
    const before = await snapshot(db)
    await assert.rejects(startNode({ home, keepHome: true }), (err: any) => {
      assert.equal(err.name, 'DatabaseCorruptError')
      assert.equal(err.kind, 'corrupt')
      assert.match(err.message, /cannot be opened .* left untouched/)
      return true
    })
    assert.deepEqual(await snapshot(db), before)
    const run = await paip(['--home', home, 'daemon'], { env: { PAIP_API_PORT: '0', PAIP_LISTEN: '/ip4/127.0.0.1/tcp/0' } })
    assert.equal(run.code, 8)
    assert.match(run.stderr, /^paip: the node database at .* cannot be opened/)
  })

  it('refuses an identity file that is not a key', async () => {
    await writeFile(join(home, 'identity.key'), 'not a key!\n', { mode: 0o600 })
    await assert.rejects(startNode({ home, keepHome: true }), (err: any) => err.name === 'IdentityInvalidError')
    assert.equal(await readFile(join(home, 'identity.key'), 'utf8'), 'not a key!\n')
  })
})

async function snapshot (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  // leveldb rotates its own info log (LOG -> LOG.old) on every open; the data files must not change
  for (const name of (await readdir(dir)).filter(n => !['LOCK', 'LOG', 'LOG.old'].includes(n)).sort()) out[name] = await readFile(join(dir, name), 'utf8')
  return out
}
