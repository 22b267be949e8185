import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { openRepository } from '../../src/repo/index.js'
import { spawnPaip } from './child.js'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'
import { checkConsistent } from './consistency.js'

describe('repo: one process at a time', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  beforeEach(async () => { env = await freshRepository() })
  afterEach(async () => { await env.cleanup() })

  it('refuses a second open while the first holds it ("repository is busy")', async () => {
    const err = await rejectsWith(openRepository(env.dir), 'RepositoryBusyError')
    assert.equal(err.kind, 'busy')
    assert.match(err.message, /repository is busy/)
    await env.repo.close()
    const again = await openRepository(env.dir)
    await again.close()
  })

  it('makes a second paip process exit with "repository is busy" (exit 6)', async function () {
    this.timeout(30_000)
    await put(env.dir, 'a.yaml', protocol('a'))
    const run = await spawnPaip(['add', 'a.yaml'], env.dir).done
    assert.equal(run.code, 6, run.stderr)
    assert.match(run.stderr, /repository is busy/)
    assert.deepEqual((await env.repo.status()).staged, [])
  })

  it('is still busy for another process when the lock file was removed (the database\'s own lock)', async function () {
    this.timeout(30_000)
    await rm(join(env.dir, '.paip-repo', 'lock'))
    await put(env.dir, 'a.yaml', protocol('a'))
    const run = await spawnPaip(['add', 'a.yaml'], env.dir).done
    assert.equal(run.code, 6, run.stderr)
    assert.match(run.stderr, /repository is busy/)
  })

  it('waits for a busy repository when asked to', async () => {
    setTimeout(() => { void env.repo.close() }, 200)
    const repo = await openRepository(env.dir, { lockWait: 5000 })
    await repo.close()
  })

  it('takes over a lock left by a process that is gone', async () => {
    await env.repo.close()
    const dead = spawnPaip(['--version'], env.dir)
    const pid = dead.child.pid as number
    await dead.done
    await writeFile(join(env.dir, '.paip-repo', 'lock'), `${pid}\n${hostname()}\n2026-01-01T00:00:00.000Z\n`)
    const repo = await openRepository(env.dir)
    await repo.close()
  })

  it('keeps the repository consistent when several paip processes commit at once', async function () {
    this.timeout(60_000)
    await env.repo.close()
    for (let i = 0; i < 6; i++) await put(env.dir, `f${i}.yaml`, protocol(`f${i}`))
    const runs = Array.from({ length: 6 }, (_, i) => spawnPaip(['add', `f${i}.yaml`], env.dir))
    const results = await Promise.all(runs.map(async r => await r.done))
    for (const r of results) assert.ok(r.code === 0 || r.code === 6, `exit ${r.code}: ${r.stderr}`)
    assert.ok(results.some(r => r.code === 0))
    const repo = await openRepository(env.dir)
    try {
      const staged = (await repo.status()).staged.map(s => s.path)
      assert.equal(staged.length, results.filter(r => r.code === 0).length)
      await checkConsistent(repo)
    } finally {
      await repo.close()
    }
  })
})
