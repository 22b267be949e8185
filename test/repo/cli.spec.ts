import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paip } from '../fixtures/cli.js'
import { protocol, put } from './fixtures.js'

describe('repo: the paip commands', () => {
  let dir: string
  let io: { cwd: string, env: Record<string, string> }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-repo-cli-'))
    io = { cwd: dir, env: { PAIP_AUTHOR: 'Ada <ada@example.org>' } }
    const init = await paip(['init'], io)
    assert.equal(init.code, 0, init.stderr)
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('inits, adds, commits, logs, shows, diffs, checks out and tags', async () => {
    await put(dir, 'mnist.yaml', protocol('mnist', 1))
    const add = await paip(['add', 'mnist.yaml'], io)
    assert.equal(add.code, 0, add.stderr)
    assert.match(add.stdout, /staged mnist\.yaml \(new\)/)
    const commit = await paip(['commit', '-m', 'first'], io)
    assert.equal(commit.code, 0, commit.stderr)
    assert.match(commit.stdout, /mnist\.yaml@1 first/)

    await put(dir, 'mnist.yaml', protocol('mnist', 2))
    const diff = await paip(['diff'], io)
    assert.match(diff.stdout, /^-# mnist version 1$/m)
    assert.match(diff.stdout, /^\+# mnist version 2$/m)
    await paip(['add', '.'], io)
    await paip(['commit', '-m', 'second', 'mnist.yaml'], io)

    const log = await paip(['--json', 'log', 'mnist.yaml'], io)
    assert.equal(log.code, 0, log.stderr)
    const versions = log.json().versions
    assert.deepEqual(versions.map((v: any) => v.message), ['second', 'first'])
    assert.equal(versions[0].author, 'Ada <ada@example.org>')
    const oneline = await paip(['log', '--oneline'], io)
    assert.equal(oneline.stdout.trim().split('\n').length, 2)

    const show = await paip(['--json', 'show', versions[1].cid.slice(0, 18)], io)
    assert.equal(show.code, 0, show.stderr)
    assert.equal(show.json().content, protocol('mnist', 1))
    assert.equal(show.json().version.cid, versions[1].cid)

    const tag = await paip(['tag', 'v1', 'mnist.yaml@1'], io)
    assert.equal(tag.code, 0, tag.stderr)
    const checkout = await paip(['checkout', 'v1'], io)
    assert.equal(checkout.code, 0, checkout.stderr)
    assert.equal(await readFile(join(dir, 'mnist.yaml'), 'utf8'), protocol('mnist', 1))
    const between = await paip(['diff', 'mnist.yaml@1', 'mnist.yaml@2'], io)
    assert.match(between.stdout, /^\+# mnist version 2$/m)
    const tags = await paip(['--json', 'tag'], io)
    assert.deepEqual(tags.json().tags.map((t: any) => t.name), ['v1'])
  })

  it('finds the repository from a folder inside, or from -C', async () => {
    await put(dir, 'deep/down/a.yaml', protocol('a'))
    const inside = await paip(['add', 'a.yaml'], { ...io, cwd: join(dir, 'deep', 'down') })
    assert.equal(inside.code, 0, inside.stderr)
    assert.match(inside.stdout, /staged deep\/down\/a\.yaml/)
    const elsewhere = await mkdtemp(join(tmpdir(), 'paip-elsewhere-'))
    try {
      const fromC = await paip(['commit', '-C', dir, '-m', 'via -C'], { ...io, cwd: elsewhere })
      assert.equal(fromC.code, 0, fromC.stderr)
      const none = await paip(['log'], { ...io, cwd: elsewhere })
      assert.equal(none.code, 4)
      assert.match(none.stderr, /not a paip repository/)
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })

  it('prints every error of every refused file and stages nothing (exit 2)', async () => {
    await put(dir, 'good.yaml', protocol('good'))
    await put(dir, 'bad1.yaml', 'protocolVersion: 2\nname: [\n')
    await put(dir, 'bad2.yaml', 'protocolVersion: 2\nname: x\ntype: job\n')
    const run = await paip(['add', '.'], io)
    assert.equal(run.code, 2)
    assert.match(run.stderr, /nothing was staged/)
    assert.match(run.stderr, /bad1\.yaml/)
    assert.match(run.stderr, /bad2\.yaml/)
    const json = await paip(['--json', 'add', '.'], io)
    assert.equal(json.json().error.name, 'InvalidProtocolFilesError')
    assert.deepEqual(json.json().error.details.files.map((f: any) => f.path).sort(), ['bad1.yaml', 'bad2.yaml'])
    const commit = await paip(['commit', '-m', 'x'], io)
    assert.equal(commit.code, 5)
    assert.match(commit.stderr, /nothing staged/)
  })

  it('refuses paths outside the repository and unknown versions with clear messages', async () => {
    const outside = await paip(['add', '../../etc/passwd'], io)
    assert.equal(outside.code, 2)
    assert.match(outside.stderr, /outside the repository/)
    await symlink('/etc/hostname', join(dir, 'host.yaml'))
    const link = await paip(['add', 'host.yaml'], io)
    assert.equal(link.code, 2)
    assert.match(link.stderr, /symlink/)
    const unknown = await paip(['checkout', 'bagaaieradeadbeef'], io)
    assert.equal(unknown.code, 4)
    assert.match(unknown.stderr, /unknown version/)
    const again = await paip(['init'], io)
    assert.equal(again.code, 5)
  })

  it('takes the author from PAIP_AUTHOR, else git\'s user config', async () => {
    const home = await mkdtemp(join(tmpdir(), 'paip-home-'))
    try {
      await put(home, '.gitconfig', '[core]\n\tname = not-this\n[user]\n\tname = Grace Hopper\n\temail = grace@example.org\n')
      await put(dir, 'a.yaml', protocol('a'))
      const env = { HOME: home }
      await paip(['add', 'a.yaml'], { cwd: dir, env })
      await paip(['commit', '-m', 'by git config'], { cwd: dir, env })
      const log = await paip(['--json', 'log', 'a.yaml'], { cwd: dir, env })
      assert.equal(log.json().versions[0].author, 'Grace Hopper <grace@example.org>')
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
