import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import path from 'node:path'
import { paip } from '../fixtures/cli.js'

describe('cli: paip status', () => {
  let dir: string
  let api: string[]
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'paip-status-'))
    api = ['--api', `http://127.0.0.1:${await closedPort()}`]
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const env = (): Record<string, string> => ({ PAIP_HOME: path.join(dir, 'home') })

  it('inside a repository shows its files and says the node is not running, exit 0', async () => {
    const repo = path.join(dir, 'repo')
    assert.equal((await paip(['init', repo], { env: env(), cwd: dir })).code, 0)
    await writeFile(path.join(repo, 'job.yaml'), 'protocolVersion: 2\n')
    const run = await paip([...api, '--json', 'status'], { env: env(), cwd: repo })
    assert.equal(run.code, 0, run.stderr)
    const data = run.json()
    assert.equal(data.node, null)
    assert.match(data.nodeError, /no node running at http:\/\/127\.0\.0\.1:\d+/)
    assert.deepEqual(data.repository.untracked.map((e: any) => e.path ?? e), ['job.yaml'])
  })

  it('outside a repository fails with the no-node line and exit 7', async () => {
    const run = await paip([...api, 'status'], { env: env(), cwd: dir })
    assert.equal(run.code, 7)
    assert.match(run.stderr, /no node running at http:\/\/127\.0\.0\.1:\d+: start one with `paip daemon`/)
  })
})

/** A loopback port nothing listens on (taken and released again). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}
