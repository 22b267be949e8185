import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { startTerminal } from '../fixtures/terminal.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Terminal } from '../fixtures/terminal.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const PASSWORD = 'correct horse battery'

describe('cli: login, logout and whoami in a real terminal (bin/paip in a pty)', function () {
  this.timeout(120_000)
  let node: TestNode
  let dir: string
  let term: Terminal

  before(async () => {
    node = await startNode()
    await node.client.put('/repo/user/alice', { password: PASSWORD })
    dir = await mkdtemp(join(tmpdir(), 'paip-login-'))
    term = await startTerminal({ cwd: dir, env: { PAIP_CONFIG_DIR: join(dir, 'config'), PAIP_HOME: node.home, PASSWORD } })
    assert.equal((await term.run(`paip marketplace add home ${node.url}`)).code, 0)
  })
  after(async () => {
    await term?.close()
    await node?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('asks for the password without echo, stores the token, and whoami names the user', async () => {
    const login = await term.start('paip login home --user alice')
    await login.shows(/Password for alice at home: $/m)
    await term.type(PASSWORD)
    const { code, screen } = await login.ended()
    assert.equal(code, 0, screen)
    assert.match(screen, /logged in to home as alice/)
    assert.doesNotMatch(screen, /correct horse/)
    assert.match(await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8'), /paip_u_/)

    const whoami = await term.run('paip whoami home')
    assert.equal(whoami.code, 0, whoami.screen)
    assert.match(whoami.screen, /^alice at home$/m)
    const admin = await term.run('paip whoami')
    assert.match(admin.screen, /^admin at http:\/\/127\.0\.0\.1:\d+ \(the node's admin\)$/m)
  })

  it('answers a wrong password with exit code 3 and stores nothing new', async () => {
    const before = await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8')
    const login = await term.start('paip login home --user alice')
    await login.shows(/Password for alice at home: $/m)
    await term.type('not the password')
    const { code, screen } = await login.ended()
    assert.equal(code, 3, screen)
    assert.match(screen, /paip: /)
    assert.equal(await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8'), before)
  })

  it('reads the password from standard input with --password-stdin, and refuses to prompt without a terminal', async () => {
    const piped = await term.run('printf \'%s\\n\' "$PASSWORD" | paip login home --user alice --password-stdin')
    assert.equal(piped.code, 0, piped.screen)
    const noTty = await term.run('paip login home --user alice < /dev/null')
    assert.equal(noTty.code, 2, noTty.screen)
    assert.match(noTty.screen, /no terminal to read a password from.*--password-stdin/)
  })

  it('logs out: the token is revoked on the node and forgotten here', async () => {
    const token = JSON.parse(await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8')).marketplaces.home.token
    const out = await term.run('paip logout home')
    assert.equal(out.code, 0, out.screen)
    assert.match(out.screen, /^logged out of home$/m)
    assert.doesNotMatch(await readFile(join(dir, 'config', 'marketplaces.json'), 'utf8'), /paip_u_/)
    const revoked = await fetch(`${node.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token as string}` } })
    assert.equal(revoked.status, 401)
    const whoami = await term.run('paip whoami home')
    assert.equal(whoami.code, 3, whoami.screen)
    assert.match(whoami.screen, /not logged in to "home": run `paip login home` first/)
  })

  it('follows the README\'s marketplace steps literally: init, commit, add the marketplace, log in, push', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const lines = readme.split('\n').map(l => l.trim())
    const step = (pattern: RegExp): string => {
      const line = lines.find(l => pattern.test(l))
      assert.ok(line != null, `the README has a line matching ${String(pattern)}`)
      return line.replace('http://127.0.0.1:9292', node.url)
    }
    const work = join(dir, 'readme')
    await term.run(`mkdir -p ${work} && cd ${work}`)
    await symlink(join(ROOT, 'protocols'), join(work, 'protocols'))
    await term.run('paip marketplace remove home')
    await node.client.delete('/api/v1/users/alice')
    for (const command of [step(/^paip init experiments/), step(/^cp \.\.\/protocols\/mnist\.yaml/), step(/^paip marketplace add home/)]) {
      const { code, screen } = await term.run(command)
      assert.equal(code, 0, `${command}\n${screen}`)
    }
    const add = await term.start(step(/^paip users add alice/))
    await add.shows(/Password for alice: $/m)
    await term.type(PASSWORD)
    await add.shows(/Password for alice \(again\): $/m)
    await term.type(PASSWORD)
    assert.equal((await add.ended()).code, 0)
    const login = await term.start(step(/^paip login home --user alice/))
    await login.shows(/Password for alice at home: $/m)
    await term.type(PASSWORD)
    assert.equal((await login.ended()).code, 0)
    assert.match((await term.run(step(/^paip whoami home/))).screen, /^alice at home$/m)
    const push = await term.run(step(/^paip push mnist\.yaml --to home/))
    assert.equal(push.code, 0, push.screen)
    assert.match(push.screen, /published \S+\/mnist mnist\.yaml v1/)
    assert.equal((await term.run(step(/^paip logout home/))).code, 0)
    assert.doesNotMatch(await term.screen(), /correct horse/)
  })
})
