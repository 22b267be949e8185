import assert from 'node:assert/strict'
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeVersion } from '../../src/repo/index.js'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'
import { tempDir } from '../fixtures/temp.js'
import { cidOfContent } from './util.js'

describe('repo: paths', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  let outside: string
  beforeEach(async () => {
    env = await freshRepository()
    outside = await tempDir('paip-outside-')
    await writeFile(join(outside, 'secret.yaml'), protocol('secret'))
  })
  afterEach(async () => {
    await env.cleanup()
    await rm(outside, { recursive: true, force: true })
  })

  it('refuses ../../etc/passwd', async () => {
    const err = await rejectsWith(env.repo.add(['../../etc/passwd']), 'PathOutsideRepositoryError')
    assert.equal(err.kind, 'invalid-input')
    await rejectsWith(env.repo.add(['sub/../../x.yaml']), 'PathOutsideRepositoryError')
  })

  it('refuses an absolute path elsewhere', async () => {
    await rejectsWith(env.repo.add([join(outside, 'secret.yaml')]), 'PathOutsideRepositoryError')
    await rejectsWith(env.repo.add(['/etc/passwd']), 'PathOutsideRepositoryError')
  })

  it('accepts an absolute path inside and stores it repository-relative', async () => {
    const { dir, repo } = env
    await put(dir, 'sub/a.yaml', protocol('a'))
    const result = await repo.add([join(dir, 'sub', '..', 'sub', 'a.yaml')])
    assert.deepEqual(result.staged.map(s => s.path), ['sub/a.yaml'])
    const result2 = await repo.add(['a.yaml'], { cwd: join(dir, 'sub') })
    assert.deepEqual(result2.staged.map(s => s.path), ['sub/a.yaml'])
  })

  it('refuses a symlink to a file outside', async () => {
    await symlink(join(outside, 'secret.yaml'), join(env.dir, 'link.yaml'))
    await rejectsWith(env.repo.add(['link.yaml']), 'PathOutsideRepositoryError')
  })

  it('refuses a symlinked folder that leads outside, and skips it when walking', async () => {
    const { dir, repo } = env
    await symlink(outside, join(dir, 'out'))
    await rejectsWith(repo.add(['out/secret.yaml']), 'PathOutsideRepositoryError')
    await rejectsWith(repo.add(['out']), 'PathOutsideRepositoryError')
    await symlink(join(outside, 'secret.yaml'), join(dir, 'inner.yaml'))
    await put(dir, 'ok.yaml', protocol('ok'))
    const result = await repo.add(['.'])
    assert.deepEqual(result.staged.map(s => s.path), ['ok.yaml'])
    assert.deepEqual((await repo.status()).untracked, [])
  })

  it('never writes through a symlinked folder that leads outside on checkout', async () => {
    const { dir, repo } = env
    await put(dir, 'out/secret.yaml', protocol('mine', 1))
    await repo.add(['out/secret.yaml'])
    await repo.commit('inside')
    await rm(join(dir, 'out'), { recursive: true })
    await symlink(outside, join(dir, 'out'))
    await rejectsWith(repo.checkout('out/secret.yaml@1', { force: true }), 'PathOutsideRepositoryError')
    assert.equal(await readFile(join(outside, 'secret.yaml'), 'utf8'), protocol('secret'))
  })

  it('refuses the metadata folder', async () => {
    await mkdir(join(env.dir, '.paip-repo', 'x'), { recursive: true })
    await rejectsWith(env.repo.add(['.paip-repo/config.json']), 'PathOutsideRepositoryError')
  })

  it('refuses imported versions whose path leads outside', async () => {
    const bytes = new TextEncoder().encode(protocol('evil'))
    const content = cidOfContent(bytes)
    for (const path of ['../../etc/passwd', '/etc/passwd', 'a/./b.yaml', '.paip-repo/x.yaml', 'a\\..\\b.yaml']) {
      const record = encodeVersion({ path, content, size: bytes.length, parent: null, seq: 1, author: 'x', time: new Date().toISOString(), message: 'm' })
      await rejectsWith(env.repo.importVersions([record], [{ cid: content, bytes }]), 'ImportVerificationError')
    }
    assert.deepEqual(await env.repo.files(), [])
  })
})
