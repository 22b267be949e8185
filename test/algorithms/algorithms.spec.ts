import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { startGrid } from '../fixtures/grid.js'
import { until } from '../fixtures/wait.js'
import { spawnPaip } from '../repo/child.js'
import { ALGORITHMS, hostileTarball, makeTarball, upload, userOf } from './fixtures.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

describe('algorithms', function () {
  this.timeout(60_000)
  let grid: Grid | undefined
  let a: TestNode
  let b: TestNode
  let admin: ApiClient
  let dir: string

  async function publish (client: ApiClient, name: keyof typeof ALGORITHMS | string, files: Record<string, string>, extra: Record<string, unknown> = {}): Promise<any> {
    const file = await makeTarball(files)
    const stored = await upload(client, file, `data://.my/code/${name}.tar.gz`)
    return await client.post('/api/v1/algorithms', { name, code: stored.path, language: 'python3', ...extra })
  }

  before(async () => {
    grid = await startGrid(2)
    ;[a, b] = grid.nodes
    admin = createApiClient({ url: a.url, token: (a.client as any).token, timeout: 120_000 })
    dir = await mkdtemp(join(tmpdir(), 'paip-algo-'))
    for (const name of ['raises', 'hangs', 'nonjson', 'crashes'] as const) await publish(admin, name, ALGORITHMS[name])
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('publishes and calls an algorithm with the real paip CLI', async () => {
    await writeFile(join(dir, 'echo.tar.gz'), await (await import('node:fs/promises')).readFile(await makeTarball(ALGORITHMS.echo)))
    const env = { PAIP_TOKEN: (a.client as any).token, PAIP_HOME: join(dir, 'nohome') }
    const run = async (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> => await spawnPaip(['--api', a.url, ...args], dir, 60_000, env).done
    const published = await run('algo', 'publish', 'echo', '--code', 'echo.tar.gz', '--language', 'python3')
    assert.equal(published.code, 0, published.stderr)
    assert.match(published.stdout, /published admin\/echo@1 {2}python3 {2}src\/echo\.py/)
    const called = await run('--json', 'algo', 'call', 'admin/echo', '{"x": [1, 2]}', '--timeout', '60')
    assert.equal(called.code, 0, called.stderr)
    assert.deepEqual(JSON.parse(called.stdout).result, { echo: { x: [1, 2] } })
    const listed = await run('algo', 'list')
    assert.match(listed.stdout, /admin\/echo@1/)
  })

  it('answers a call on another node of the grid: the call goes to the node hosting the algorithm', async () => {
    const bAdmin = createApiClient({ url: b.url, token: (b.client as any).token, timeout: 120_000 })
    let answer: any
    await until(async () => {
      answer = await bAdmin.post('/api/v1/algorithms/admin/echo', { from: 'b' }, { query: { timeout: 60 } })
      return true
    }, 60_000, 'a call from node B to reach node A')
    assert.deepEqual(answer.result, { echo: { from: 'b' } })
    assert.equal(answer.metadata.node, a.node.components.host.peerId.toString())
  })

  it('runs a call forwarded from another node as the algorithm\'s owner: an owner without the run role has none run', async () => {
    const dave = await userOf(a, 'dave')
    await publish(dave.client, 'daves', { 'src/daves.py': 'def apply(input):\n    return input\n' })
    const bAdmin = createApiClient({ url: b.url, token: (b.client as any).token, timeout: 120_000 })
    let last: any
    await until(async () => {
      last = await bAdmin.post('/api/v1/algorithms/dave/daves', {}).then(() => 'answered', err => err)
      return last?.kind === 'forbidden'
    }, 60_000, `a forwarded call of dave's algorithm to be refused (last: ${String(last?.message ?? last)})`)
    await a.node.components.users.grantRoles('dave', ['run'])
    const answer: any = await bAdmin.post('/api/v1/algorithms/dave/daves', { ok: 1 })
    assert.deepEqual(answer.result, { ok: 1 })
  })

  it('fails a call with the algorithm\'s own error when it raises', async () => {
    await assert.rejects(admin.post('/api/v1/algorithms/admin/raises', 'cat.png'), (err: any) => {
      assert.equal(err.remoteName, 'AlgorithmFailedError')
      assert.match(err.message, /ValueError: bad image: no pixels in cat\.png/)
      assert.match(err.details.stacktrace, /raise ValueError/)
      return true
    })
  })

  it('stops an algorithm that hangs at the call\'s timeout', async () => {
    const started = Date.now()
    await assert.rejects(admin.post('/api/v1/algorithms/admin/hangs', {}, { query: { timeout: 2 } }), (err: any) => err.remoteName === 'AlgorithmTimeoutError' && err.status === 504)
    assert.ok(Date.now() - started < 30_000)
  })

  it('refuses an answer that is not JSON, and tells a crash by the tail of what it printed', async () => {
    await assert.rejects(admin.post('/api/v1/algorithms/admin/nonjson', {}), (err: any) => err.remoteName === 'AlgorithmFailedError' && /not JSON \(set\)/.test(err.message))
    await assert.rejects(admin.post('/api/v1/algorithms/admin/crashes', {}), (err: any) => err.remoteName === 'AlgorithmFailedError' && /fatal: the model file is truncated/.test(err.message))
  })

  it('gives the algorithm its data files', async () => {
    await writeFile(join(dir, 'weights.txt'), 'w=42\n')
    const stored = await upload(admin, join(dir, 'weights.txt'), 'data://.my/models/weights.txt')
    await publish(admin, 'reads', ALGORITHMS.reads, { data: [stored.path] })
    const answer: any = await admin.post('/api/v1/algorithms/.my/reads', null)
    assert.deepEqual(answer.result, { weights: 'w=42' })
  })

  for (const kind of ['dotdot', 'absolute', 'symlink-out'] as const) {
    it(`refuses a code tarball with a ${kind} entry`, async () => {
      const stored = await upload(admin, await hostileTarball(kind), `data://.my/code/${kind}.tar.gz`)
      await assert.rejects(admin.post('/api/v1/algorithms', { name: 'evil', code: stored.path, language: 'python3' }), (err: any) => err.remoteName === 'UnsafeTarballError' && err.status === 400)
    })
  }

  it('refuses unknown languages, and framework languages whose container image the node lacks, clearly', async () => {
    const file = await makeTarball(ALGORITHMS.echo)
    const stored = await upload(admin, file, 'data://.my/code/lang.tar.gz')
    await assert.rejects(admin.post('/api/v1/algorithms', { name: 'x', code: stored.path, language: 'cobol' }), (err: any) => err.remoteName === 'InvalidAlgorithmError')
    await assert.rejects(admin.post('/api/v1/algorithms', { name: 'x', code: stored.path, language: 'tensorflow-1.14' }), (err: any) => err.remoteName === 'LanguageUnavailableError' && /tensorflow/.test(err.message))
  })

  it('lets only users with the run role call, and only owners publish into their own space', async () => {
    const carol = await userOf(a, 'carol')
    await assert.rejects(carol.client.post('/api/v1/algorithms/admin/echo', {}), (err: any) => err.kind === 'forbidden')
    await assert.rejects(carol.client.post('/api/v1/algorithms', { name: 'steal', code: 'data://admin/code/echo.tar.gz', language: 'python3' }), (err: any) => err.kind === 'forbidden')
    await a.node.components.users.grantRoles('carol', ['run'])
    const answer: any = await carol.client.post('/api/v1/algorithms/admin/echo', 'hi')
    assert.deepEqual(answer.result, { echo: 'hi' })
  })

  it('answers 404 for an algorithm no node hosts and 400 for a malformed reference', async () => {
    await assert.rejects(admin.post('/api/v1/algorithms/admin/nowhere', {}), (err: any) => err.status === 404)
    await assert.rejects(admin.post('/api/v1/algorithms/admin/bad%20name', {}), (err: any) => err.status === 400)
  })
})
