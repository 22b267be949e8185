import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { formatLog, formatRepositoryStatus, initRepository, repositoryStatus } from '../../src/repo/index.js'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'
import { tempDir } from '../fixtures/temp.js'

describe('repo: log, show, diff, tags and status', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  beforeEach(async () => { env = await freshRepository() })
  afterEach(async () => { await env.cleanup() })

  async function commitVersions (path: string, from: number, to: number): Promise<void> {
    for (let i = from; i <= to; i++) {
      await put(env.dir, path, protocol(path, i))
      await env.repo.add([path])
      await env.repo.commit(`${path} ${i}`)
    }
  }

  it('logs one file newest first, or every file by time', async () => {
    await commitVersions('a.yaml', 1, 2)
    await commitVersions('b.yaml', 1, 1)
    await commitVersions('a.yaml', 3, 3)
    assert.deepEqual((await env.repo.log('a.yaml')).map(v => v.message), ['a.yaml 3', 'a.yaml 2', 'a.yaml 1'])
    assert.deepEqual((await env.repo.log()).map(v => v.message), ['a.yaml 3', 'b.yaml 1', 'a.yaml 2', 'a.yaml 1'])
    assert.deepEqual((await env.repo.log('a.yaml', { limit: 1 })).map(v => v.seq), [3])
    assert.match(formatLog(await env.repo.log('a.yaml'), true)[0], /^bagaaiera\w+ a\.yaml@3 /)
    await rejectsWith(env.repo.log('never.yaml'), 'UnknownVersionError')
  })

  it('resolves versions by CID, unique prefix, file@N, file@-N and tag', async () => {
    await commitVersions('a.yaml', 1, 3)
    const [v3, v2, v1] = await env.repo.log('a.yaml')
    assert.equal((await env.repo.show(v2.cid)).version.cid, v2.cid)
    assert.equal((await env.repo.show(v2.cid.slice(0, 16))).version.cid, v2.cid)
    assert.equal((await env.repo.show('a.yaml@1')).version.cid, v1.cid)
    assert.equal((await env.repo.show('a.yaml@-1')).version.cid, v2.cid)
    await env.repo.tag('best', 'a.yaml@2')
    assert.equal((await env.repo.show('best')).version.cid, v2.cid)
    assert.equal((await env.repo.head('a.yaml'))?.cid, v3.cid)
    await rejectsWith(env.repo.show('bagaaiera'), 'AmbiguousVersionError')
  })

  it('diffs a working copy against its last version, a file against a version, and two versions', async () => {
    await commitVersions('a.yaml', 1, 2)
    assert.deepEqual(await env.repo.diff(), [])
    await put(env.dir, 'a.yaml', protocol('a.yaml', 'changed'))
    const [d] = await env.repo.diff()
    assert.equal(d.path, 'a.yaml')
    assert.match(d.patch, /^-# a\.yaml version 2$/m)
    assert.match(d.patch, /^\+# a\.yaml version changed$/m)
    const [d1] = await env.repo.diff({ path: 'a.yaml', from: 'a.yaml@1' })
    assert.match(d1.patch, /^-# a\.yaml version 1$/m)
    const [d12] = await env.repo.diff({ from: 'a.yaml@1', to: 'a.yaml@2' })
    assert.match(d12.patch, /^-# a\.yaml version 1$/m)
    assert.match(d12.patch, /^\+# a\.yaml version 2$/m)
    const [first] = await env.repo.diff({ from: 'a.yaml@1' })
    assert.equal(first.from, 'empty')
  })

  it('tags a snapshot of every file and checks it out later', async () => {
    await commitVersions('a.yaml', 1, 1)
    await commitVersions('b.yaml', 1, 1)
    await env.repo.tag('v1')
    await commitVersions('a.yaml', 2, 3)
    await commitVersions('b.yaml', 2, 2)
    const result = await env.repo.checkout('v1')
    assert.deepEqual(result.restored.map(r => r.path), ['a.yaml', 'b.yaml'])
    assert.equal(await readFile(join(env.dir, 'a.yaml'), 'utf8'), protocol('a.yaml', 1))
    assert.equal(await readFile(join(env.dir, 'b.yaml'), 'utf8'), protocol('b.yaml', 1))
    await env.repo.checkout('HEAD', { paths: ['b.yaml'] })
    assert.equal(await readFile(join(env.dir, 'b.yaml'), 'utf8'), protocol('b.yaml', 2))
    assert.deepEqual((await env.repo.tags()).map(t => t.name), ['v1'])
  })

  it('reports staged, modified, deleted and untracked files', async () => {
    await commitVersions('a.yaml', 1, 1)
    await commitVersions('gone.yaml', 1, 1)
    await put(env.dir, 'a.yaml', protocol('a.yaml', 2))
    await put(env.dir, 'n/new.yaml', protocol('new'))
    await env.repo.add(['n/new.yaml'])
    await put(env.dir, 'untracked.yml', protocol('u'))
    await put(env.dir, 'notes.txt', 'not a protocol')
    await rm(join(env.dir, 'gone.yaml'))
    const status = await env.repo.status()
    assert.deepEqual(status.staged.map(s => [s.path, s.change]), [['n/new.yaml', 'new']])
    assert.deepEqual(status.modified, ['a.yaml'])
    assert.deepEqual(status.deleted, ['gone.yaml'])
    assert.deepEqual(status.untracked, ['untracked.yml'])
    const text = formatRepositoryStatus(status).join('\n')
    assert.match(text, /new file: +n\/new\.yaml/)
    assert.match(text, /modified: +a\.yaml/)
    assert.match(text, /deleted: +gone\.yaml/)
    assert.match(text, /untracked\.yml/)
  })

  it('gives status data from any folder inside, and none outside a repository', async () => {
    await env.repo.close()
    await put(env.dir, 'deep/er/x.yaml', protocol('x'))
    const status = await repositoryStatus(join(env.dir, 'deep', 'er'))
    assert.deepEqual(status?.untracked, ['deep/er/x.yaml'])
    const elsewhere = await tempDir()
    try {
      assert.equal(await repositoryStatus(elsewhere), undefined)
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })

  it('leaves a nested repository\'s files to it', async () => {
    await put(env.dir, 'mine.yaml', protocol('mine'))
    const nested = await initRepository(join(env.dir, 'inner'))
    await nested.close()
    await put(env.dir, 'inner/theirs.yaml', protocol('theirs'))
    assert.deepEqual((await env.repo.status()).untracked, ['mine.yaml'])
    const result = await env.repo.add(['.'])
    assert.deepEqual(result.staged.map(s => s.path), ['mine.yaml'])
  })
})
