import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { runBin } from '../fixtures/bin.js'
import { startNode } from '../fixtures/daemon.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'

/** One request as an OpenPAI marketplace client sends it; answers status and body (JSON or text). */
async function call (node: TestNode, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number, body: any }> {
  const response = await fetch(node.url + path, {
    method,
    headers: { ...(token == null ? {} : { authorization: `Bearer ${token}` }), ...(body == null ? {} : { 'content-type': 'application/json' }) },
    body: body == null ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  let parsed: any = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: response.status, body: parsed }
}

describe('api: OpenPAI marketplace items shared with groups (groupList)', function () {
  this.timeout(90_000)
  let node: TestNode
  let admin: string
  const tokens: Record<string, string> = {}
  const text = (name: string, description: string): string => new TextDecoder().decode(protocolYaml(name, description))
  const ids = (answer: { body: any }): string[] => answer.body.map((i: any) => i.id)

  before(async () => {
    node = await startNode()
    admin = (await readFile(`${node.home}/token`, 'utf8')).trim()
    // the admin gives users their groups, over REST
    const users = [['alice', ['vision']], ['gina', ['vision', 'audio']], ['otto', ['nlp']], ['nora', []]] as const
    for (const [name, groups] of users) {
      const made = await call(node, 'POST', '/api/v1/users', admin, { name, password: `${name} password`, groups })
      assert.equal(made.status, 201, JSON.stringify(made.body))
      assert.deepEqual(made.body.user.groups, [...groups].sort())
      tokens[name] = (await call(node, 'POST', `/repo/auth/${name}`, undefined, { password: `${name} password` })).body.token
    }
  })
  after(async () => { await node?.stop() })

  it('lets the author, the admin and the groups\' members read an item shared with groups; every other user is refused by id, by list, by keyword, by tag', async () => {
    const created = await call(node, 'POST', '/items', tokens.alice, {
      name: 'Retina scans', author: 'alice', isPublic: false, isPrivate: false, groupList: ['vision'], tags: ['retina'], summary: 'eye fundus classifier', protocol: text('retina-scans', 'Fundus **images**')
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id: string = created.body.id
    for (const reader of [tokens.alice, tokens.gina, admin]) {
      const got = await call(node, 'GET', `/items/${id}`, reader)
      assert.equal(got.status, 200)
      assert.deepEqual(got.body.groupList, ['vision'])
      assert.match(got.body.protocol, /retina-scans/)
      assert.ok(ids(await call(node, 'GET', '/items', reader)).includes(id))
      assert.deepEqual(ids(await call(node, 'GET', '/items?keyword=fundus', reader)), [id])
    }
    assert.ok((await call(node, 'GET', '/tags', tokens.gina)).body.some((t: any) => t.name === 'retina'))

    // the attack: another user of the node (otto, in another group; nora, in none), or nobody
    for (const reader of [tokens.otto, tokens.nora, undefined]) {
      assert.equal((await call(node, 'GET', `/items/${id}`, reader)).status, 403)
      assert.equal((await call(node, 'GET', `/items/${id}/tag`, reader)).status, 403)
      assert.ok(!ids(await call(node, 'GET', '/items', reader)).includes(id))
      assert.deepEqual(await call(node, 'GET', '/items?keyword=fundus', reader).then(a => a.body), [])
      assert.deepEqual(await call(node, 'GET', '/items?keyword=retina', reader).then(a => a.body), [])
      assert.deepEqual(await call(node, 'GET', '/items?tag=retina', reader).then(a => a.body), [])
      assert.deepEqual(await call(node, 'GET', '/items?author=alice', reader).then(a => a.body.filter((i: any) => i.id === id)), [])
      assert.ok(!(await call(node, 'GET', '/tags', reader)).body.some((t: any) => t.name === 'retina'))
    }
    assert.equal((await call(node, 'PUT', `/users/otto/starItems/${id}`, tokens.otto)).status, 403)
    // a member reads, but does not write
    assert.equal((await call(node, 'PUT', `/items/${id}`, tokens.gina, { summary: 'mine' })).status, 403)
    assert.equal((await call(node, 'DELETE', `/items/${id}`, tokens.gina)).status, 403)
  })

  it('never publishes a non-public item: the grid, the node\'s search and its protocol routes do not know it', async () => {
    const created = await call(node, 'POST', '/items', tokens.alice, { name: 'Cornea', author: 'alice', isPublic: false, groupList: ['vision'], protocol: text('cornea-maps', 'Corneal topography maps') })
    assert.equal(created.status, 201)
    assert.equal((await call(node, 'GET', `/items/${created.body.id as string}`, tokens.gina)).body.published, false)
    const search = await call(node, 'GET', '/repo/search/corneal?timeout=1000', tokens.otto)
    assert.equal(search.status, 200)
    assert.deepEqual(search.body.results, [])
    assert.ok(!(await call(node, 'GET', '/api/v1/marketplace/entries', tokens.otto)).body.entries.some((e: any) => /cornea/.test(e.name)))
    assert.equal((await call(node, 'GET', '/repo/protocol/cornea-maps.yaml', tokens.otto)).status, 404)
  })

  it('follows the original\'s cases: a private item is its author\'s even with a group list; making one public publishes it, and a published item stays public', async () => {
    const secret = await call(node, 'POST', '/items', tokens.alice, { name: 'Private', author: 'alice', isPrivate: true, groupList: ['vision'], protocol: text('alice-private', 'Only mine') })
    assert.equal(secret.status, 201)
    assert.equal((await call(node, 'GET', `/items/${secret.body.id as string}`, tokens.gina)).status, 403)
    assert.deepEqual((await call(node, 'GET', `/items/${secret.body.id as string}`, tokens.alice)).body.groupList, [])

    const shared = await call(node, 'POST', '/items', tokens.alice, { name: 'Iris', author: 'alice', isPublic: false, groupList: ['vision'], protocol: text('iris-codes', 'Iris codes') })
    const id: string = shared.body.id
    assert.equal((await call(node, 'PUT', `/items/${id}`, tokens.alice, { isPublic: true })).status, 200)
    const got = await call(node, 'GET', `/items/${id}`, tokens.otto)
    assert.equal(got.status, 200)
    assert.equal(got.body.published, true)
    assert.equal(got.body.protocolName, 'alice/iris-codes')
    assert.deepEqual(got.body.groupList, [])
    assert.ok((await call(node, 'GET', '/api/v1/marketplace/entries')).body.entries.some((e: any) => e.name === 'alice/iris-codes'))
    const back = await call(node, 'PUT', `/items/${id}`, tokens.alice, { isPublic: false, groupList: ['vision'] })
    assert.equal(back.status, 409)
    assert.equal(back.body.error.name, 'ItemPublishedError')
  })

  it('looks a user\'s groups up on every request: taken out of a group, a member reads no more', async () => {
    const created = await call(node, 'POST', '/items', tokens.alice, { name: 'Sounds', author: 'alice', isPublic: false, groupList: ['audio'], protocol: text('heart-sounds', 'Heart sounds') })
    const id: string = created.body.id
    assert.equal((await call(node, 'GET', `/items/${id}`, tokens.gina)).status, 200)
    const set = await call(node, 'PUT', '/api/v1/users/gina/groups', admin, { groups: ['vision'] })
    assert.equal(set.status, 200)
    assert.deepEqual(set.body.user.groups, ['vision'])
    assert.equal((await call(node, 'GET', `/items/${id}`, tokens.gina)).status, 403)
    assert.ok(!ids(await call(node, 'GET', '/items', tokens.gina)).includes(id))
  })

  it('lets only the admin set groups, and refuses bad group names', async () => {
    assert.equal((await call(node, 'PUT', '/api/v1/users/otto/groups', tokens.otto, { groups: ['vision'] })).status, 403)
    assert.equal((await call(node, 'PUT', '/api/v1/users/otto/groups', undefined, { groups: ['vision'] })).status, 401)
    for (const groups of [['has space'], ['-dash'], ['x'.repeat(65)], [''], ['a/b']]) {
      const answer = await call(node, 'PUT', '/api/v1/users/otto/groups', admin, { groups })
      assert.equal(answer.status, 400, JSON.stringify(groups))
    }
    assert.equal((await call(node, 'PUT', '/api/v1/users/nobody/groups', admin, { groups: [] })).status, 404)
    assert.deepEqual((await call(node, 'GET', '/api/v1/users/otto', admin)).body.user.groups, ['nlp'])
  })

  it('sets and shows groups with `paip users add --group` and `paip users groups` through bin/paip', async () => {
    const env = { PAIP_TOKEN: '' }
    const add = await runBin(['--home', node.home, 'users', 'add', 'hugo', '--group', 'vision,nlp', '--password-stdin'], { env, input: 'hugo password\n' })
    assert.equal(add.code, 0, add.stderr)
    const list = await runBin(['--home', node.home, 'users', 'list'], { env })
    assert.match(list.stdout, /^hugo {2}publish,read {2}groups nlp,vision {2}since /m)
    const set = await runBin(['--home', node.home, '--json', 'users', 'groups', 'hugo', 'audio', 'vision'], { env })
    assert.equal(set.code, 0, set.stderr)
    assert.deepEqual(set.json().groups, ['audio', 'vision'])
    const show = await runBin(['--home', node.home, 'users', 'groups', 'hugo'], { env })
    assert.match(show.stdout, /groups audio,vision/)
    const none = await runBin(['--home', node.home, 'users', 'groups', 'hugo', '--none'], { env })
    assert.equal(none.code, 0, none.stderr)
    assert.match(none.stdout, /^hugo {2}publish,read {2}since /m)
    const bad = await runBin(['--home', node.home, 'users', 'groups', 'hugo', 'no/way'], { env })
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^paip: not a group name: "no\/way"/)
  })
})
