import assert from 'node:assert/strict'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'

describe('repo: bad input', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  beforeEach(async () => { env = await freshRepository() })
  afterEach(async () => { await env.cleanup() })

  it('refuses an invalid protocol with all its errors, and stages nothing of that call', async () => {
    const { dir, repo } = env
    await put(dir, 'good.yaml', protocol('good'))
    await put(dir, 'broken.yaml', 'protocolVersion: 2\nname: [unclosed\n')
    await put(dir, 'also-broken.yaml', 'name: x\n  bad: indentation\n: :\n')
    const err = await rejectsWith(repo.add(['good.yaml', 'broken.yaml', 'also-broken.yaml']), 'InvalidProtocolFilesError')
    assert.equal(err.kind, 'invalid-input')
    assert.deepEqual(err.files.map((f: any) => f.path).sort(), ['also-broken.yaml', 'broken.yaml'])
    assert.ok(err.files.every((f: any) => f.errors.length > 0))
    assert.match(err.message, /nothing was staged/)
    assert.match(err.message, /broken\.yaml/)
    assert.match(err.message, /also-broken\.yaml/)
    const status = await repo.status()
    assert.deepEqual(status.staged, [])
    assert.deepEqual(status.untracked, ['also-broken.yaml', 'broken.yaml', 'good.yaml'])
  })

  it('refuses a protocol that parses but breaks the protocol rules', async () => {
    const { dir, repo } = env
    await put(dir, 'no-task-roles.yaml', 'protocolVersion: 2\nname: x\ntype: job\n')
    await rejectsWith(repo.add(['no-task-roles.yaml']), 'InvalidProtocolFilesError')
    assert.deepEqual((await repo.status()).staged, [])
  })

  it('refuses a 50 MiB file without reading it into a protocol', async function () {
    this.timeout(20_000)
    const { dir, repo } = env
    const file = join(dir, 'huge.yaml')
    const handle = await open(file, 'w')
    await handle.truncate(50 * 1024 * 1024)
    await handle.close()
    const err = await rejectsWith(repo.add(['huge.yaml']), 'InvalidProtocolFilesError')
    assert.equal(err.files[0].errors[0].rule, 'too-large')
    assert.deepEqual((await repo.status()).staged, [])
  })

  it('refuses binary data', async () => {
    const { dir, repo } = env
    const bytes = new Uint8Array(4096)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256
    await put(dir, 'blob.yaml', bytes)
    await rejectsWith(repo.add(['blob.yaml']), 'InvalidProtocolFilesError')
  })

  it('refuses a YAML bomb quickly', async function () {
    this.timeout(10_000)
    const { dir, repo } = env
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`)
    await put(dir, 'bomb.yaml', lines.join('\n') + '\n')
    const started = Date.now()
    await rejectsWith(repo.add(['bomb.yaml']), 'InvalidProtocolFilesError')
    assert.ok(Date.now() - started < 5000)
  })

  it('says so when the file does not exist', async () => {
    await rejectsWith(env.repo.add(['missing.yaml']), 'PathNotFoundError')
  })

  it('refuses to commit with nothing staged', async () => {
    const { dir, repo } = env
    const err = await rejectsWith(repo.commit('nothing'), 'NothingStagedError')
    assert.equal(err.kind, 'conflict')
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    await rejectsWith(repo.commit('not that one', { paths: ['b.yaml'] }), 'NothingStagedError')
    await repo.commit('this one', { paths: ['a.yaml'] })
    await rejectsWith(repo.commit('again'), 'NothingStagedError')
  })

  it('does not stage a file identical to its last version', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    await repo.commit('one')
    const result = await repo.add(['a.yaml'])
    assert.deepEqual(result.unchanged, ['a.yaml'])
    await rejectsWith(repo.commit('same'), 'NothingStagedError')
  })

  it('refuses a commit without a message', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    await rejectsWith(repo.commit('  '), 'InvalidArgumentError')
  })

  it('reports checkout of an unknown version and leaves files alone', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    const [v1] = await repo.commit('one')
    for (const ref of ['bagaaieranothere', 'a.yaml@2', 'a.yaml@0x', 'nope.yaml@1', 'no-such-tag', v1.cid.slice(0, -2) + 'aa', 'zz']) {
      const err = await rejectsWith(repo.checkout(ref), 'UnknownVersionError')
      assert.equal(err.kind, 'not-found')
    }
    await rejectsWith(repo.show('bagaaieranothere'), 'UnknownVersionError')
    assert.equal(await readFile(join(dir, 'a.yaml'), 'utf8'), protocol('a'))
  })

  it('refuses checkout of a version into another file\'s path', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    const [v1] = await repo.commit('one')
    await rejectsWith(repo.checkout(v1.cid, { paths: ['b.yaml'] }), 'VersionPathMismatchError')
  })

  it('refuses to overwrite changes the repository does not hold, unless forced', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a', 1))
    await repo.add(['a.yaml'])
    await repo.commit('one')
    await put(dir, 'a.yaml', protocol('a', 2))
    await repo.add(['a.yaml'])
    await repo.commit('two')
    await put(dir, 'a.yaml', protocol('a', 'precious'))
    await rejectsWith(repo.checkout('a.yaml@1'), 'UncommittedChangesError')
    assert.equal(await readFile(join(dir, 'a.yaml'), 'utf8'), protocol('a', 'precious'))
    await repo.checkout('a.yaml@1', { force: true })
    assert.equal(await readFile(join(dir, 'a.yaml'), 'utf8'), protocol('a', 1))
  })

  it('refuses bad and duplicate tag names', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a'))
    await repo.add(['a.yaml'])
    await repo.commit('one')
    await rejectsWith(repo.tag('../x'), 'InvalidArgumentError')
    await rejectsWith(repo.tag('HEAD'), 'InvalidArgumentError')
    await repo.tag('v1')
    await rejectsWith(repo.tag('v1'), 'TagExistsError')
    await repo.tag('v1', 'a.yaml@1', { force: true })
  })
})
