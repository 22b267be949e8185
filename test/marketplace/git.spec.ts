import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initRepository, openRepository } from '../../src/repo/index.js'
import { paip } from '../fixtures/cli.js'
import { protocolYaml } from './fixtures.js'

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
const git = (args: string[], cwd: string): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' })

describe('marketplace: import and export with git', function () {
  this.timeout(60_000)
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'paip-git-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  async function commit (repoDir: string, file: string, content: Uint8Array, message: string): Promise<void> {
    const repo = await openRepository(repoDir)
    try {
      await writeFile(join(repoDir, file), content)
      await repo.add([file])
      await repo.commit(message)
    } finally { await repo.close() }
  }

  it('exports every version as a commit to a bare repository, and imports them back with history', async () => {
    const bare = join(dir, 'remote.git')
    git(['init', '--quiet', '--bare', bare], dir)
    const source = join(dir, 'source')
    await (await initRepository(source)).close()
    await commit(source, 'mnist.yaml', protocolYaml('mnist', 'digits'), 'first mnist')
    await commit(source, 'mnist.yaml', protocolYaml('mnist', 'digits', '--epochs 2'), 'more epochs')
    await commit(source, 'cifar.yaml', protocolYaml('cifar', 'images'), 'cifar')

    const out = await paip(['--json', 'export', bare, '-C', source], { cwd: dir })
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.json().commits, 3)
    assert.match(git(['log', '--format=%s', 'main'], bare), /more epochs/)
    const again = await paip(['--json', 'export', bare, '-C', source], { cwd: dir })
    assert.equal(again.json().commits, 0, 'exporting again adds nothing')

    const target = join(dir, 'target')
    const imported = await paip(['--json', 'import', bare, target], { cwd: dir })
    assert.equal(imported.code, 0, imported.stderr)
    assert.equal(imported.json().versions, 3)
    assert.match(await readFile(join(target, 'mnist.yaml'), 'utf8'), /epochs 2/)
    const repo = await openRepository(target)
    try {
      const log = await repo.log('mnist.yaml')
      assert.deepEqual(log.map(v => v.message), ['more epochs', 'first mnist'])
    } finally { await repo.close() }
    const twice = await paip(['--json', 'import', bare, target], { cwd: dir })
    assert.equal(twice.json().versions, 0, 'importing again adds nothing')
  })

  it('skips files of a git repository that are not valid protocols, and refuses option-like URLs', async () => {
    const work = join(dir, 'work')
    git(['init', '--quiet', work], dir)
    await writeFile(join(work, 'good.yaml'), protocolYaml('good', 'fine'))
    await writeFile(join(work, 'bad.yaml'), 'protocolVersion: 2\nname: bad\n')
    git(['add', '.'], work)
    git(['commit', '--quiet', '-m', 'two files'], work)
    const target = join(dir, 'target')
    const imported = await paip(['--json', 'import', work, target], { cwd: dir })
    assert.equal(imported.code, 0, imported.stderr)
    assert.equal(imported.json().versions, 1)
    assert.deepEqual(imported.json().skipped, ['bad.yaml'])
    const evil = await paip(['import', '--upload-pack=touch /tmp/pwned', target], { cwd: dir })
    assert.notEqual(evil.code, 0)
  })
})
