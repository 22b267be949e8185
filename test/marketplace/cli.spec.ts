import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initRepository } from '../../src/repo/index.js'
import { paip } from '../fixtures/cli.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml, startMarketGrid } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

describe('marketplace: CLI', function () {
  this.timeout(90_000)
  let grid: Grid | undefined
  let a: TestNode
  let b: TestNode
  let dir: string
  let env: Record<string, string>
  const run = async (args: string[], extra: Record<string, any> = {}) => await paip(args, { env, ...extra })

  before(async () => {
    grid = await startMarketGrid(2)
    ;[a, b] = grid.nodes
    await until(async () => b.node.components.host.services.dht.routingTable.size > 0, 15_000, 'B to join A')
    dir = await mkdtemp(join(tmpdir(), 'paip-market-cli-'))
    env = { PAIP_CONFIG_DIR: join(dir, 'config'), PAIP_HOME: join(dir, 'no-home'), HOME: dir }
    await a.client.put('/repo/user/alice', { password: 'correct horse' })
    await b.client.put('/repo/user/bob', { password: 'battery staple' })
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  async function commitFile (repoDir: string, content: Uint8Array, message: string): Promise<void> {
    const repo = await initRepository(repoDir).catch(async () => (await import('../../src/repo/index.js')).openRepository(repoDir))
    try {
      await writeFile(join(repoDir, 'mnist.yaml'), content)
      await repo.add(['mnist.yaml'])
      await repo.commit(message)
    } finally {
      await repo.close()
    }
  }

  it('adds, lists and removes marketplaces in a 0600 file', async () => {
    assert.equal((await run(['marketplace', 'add', 'a', a.url])).code, 0)
    assert.equal((await run(['marketplace', 'add', 'b', b.url])).code, 0)
    assert.equal((await run(['marketplace', 'add', 'tmp', 'ftp://x'])).code, 2)
    assert.equal((await run(['marketplace', 'add', 'tmp', 'http://127.0.0.1:1'])).code, 0)
    const list = await run(['--json', 'marketplace', 'list'])
    assert.deepEqual(list.json().marketplaces.map((m: any) => m.name), ['a', 'b', 'tmp'])
    assert.equal((await run(['marketplace', 'remove', 'tmp'])).code, 0)
    assert.equal((await stat(join(dir, 'config', 'marketplaces.json'))).mode & 0o777, 0o600)
  })

  it('refuses to push before login, logs in without echo, pushes, and another user pulls through another node', async () => {
    const repo1 = join(dir, 'repo1')
    await commitFile(repo1, protocolYaml('mnist', 'Handwritten digits'), 'first')
    const refused = await run(['push', '--to', 'a', '-C', repo1])
    assert.equal(refused.code, 3, refused.stderr)
    assert.match(refused.stderr, /paip login a/)

    const wrong = await run(['login', 'a', '--user', 'alice'], { readSecret: async () => 'not it' })
    assert.equal(wrong.code, 3)
    let prompted = ''
    const login = await run(['login', 'a', '--user', 'alice'], { readSecret: async (p: string) => { prompted = p; return 'correct horse' } })
    assert.equal(login.code, 0, login.stderr)
    assert.match(prompted, /Password/)
    assert.match(await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8'), /paip_u_/)

    const pushed = await run(['--json', 'push', '--to', 'a', '-C', repo1])
    assert.equal(pushed.code, 0, pushed.stderr)
    const published = pushed.json().pushed[0]
    assert.equal(published.name, 'alice/mnist')

    const search = await run(['--json', 'search', 'handwritten', '--marketplace', 'b'])
    assert.equal(search.code, 0, search.stderr)
    assert.equal(search.json().results[0].publisher, published.publisher)

    const repo2 = join(dir, 'repo2')
    await initRepository(repo2).then(async r => { await r.close() })
    // a pull makes the node fetch and store: not for anonymous callers
    const anonymous = await run(['pull', `${published.publisher}/mnist`, '--marketplace', 'b', '-C', repo2])
    assert.equal(anonymous.code, 3, anonymous.stderr)
    assert.match(anonymous.stderr, /paip login b/)
    assert.equal((await run(['login', 'b', '--user', 'bob'], { readSecret: async () => 'battery staple' })).code, 0)
    const pulled = await run(['--json', 'pull', `${published.publisher}/mnist`, '--marketplace', 'b', '-C', repo2])
    assert.equal(pulled.code, 0, pulled.stderr)
    assert.match(await readFile(join(repo2, 'mnist.yaml'), 'utf8'), /Handwritten digits/)

    await commitFile(repo1, protocolYaml('mnist', 'Handwritten digits', '--epochs 2'), 'more epochs')
    assert.equal((await run(['push', '--to', 'a', '-C', repo1])).code, 0)
    const again = await run(['--json', 'pull', `${published.publisher}/mnist`, '--marketplace', 'b', '-C', repo2])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.json().seq, 2)
    assert.match(await readFile(join(repo2, 'mnist.yaml'), 'utf8'), /epochs 2/)
  })

  it('tracks a publisher in a submodule directory that `paip pull` updates', async () => {
    const repo3 = join(dir, 'repo3')
    await initRepository(repo3).then(async r => { await r.close() })
    const byName = await run(['--json', 'submodule', 'add', 'a', 'vendor/a', '-C', repo3])
    assert.equal(byName.code, 0, byName.stderr)
    assert.equal(byName.json().publisher, a.node.components.peerId.toString())
    const byPeer = await run(['--json', 'submodule', 'add', a.node.components.peerId.toString(), 'via-b', '--marketplace', 'b', '-C', repo3])
    assert.equal(byPeer.code, 0, byPeer.stderr)
    const pulled = await run(['--json', 'pull', '-C', repo3])
    assert.equal(pulled.code, 0, pulled.stderr)
    assert.deepEqual(pulled.json().submodules.map((s: any) => s.pulled), [['alice/mnist'], ['alice/mnist']])
    assert.match(await readFile(join(repo3, 'vendor', 'a', 'mnist.yaml'), 'utf8'), /epochs 2/)
    assert.match(await readFile(join(repo3, 'via-b', 'mnist.yaml'), 'utf8'), /epochs 2/)
    const outside = await run(['submodule', 'add', 'a', '../../escape', '-C', repo3])
    assert.equal(outside.code, 2)
  })
})
