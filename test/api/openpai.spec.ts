import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
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

describe('api: OpenPAI marketplace REST compatibility (/items)', function () {
  this.timeout(60_000)
  let node: TestNode
  let admin: string
  let alice: string
  let bob: string
  const text = (name: string): string => new TextDecoder().decode(protocolYaml(name, `the ${name} protocol`))
  const yaml = (extra = ''): string => new TextDecoder().decode(protocolYaml('mnist-training', 'Handwritten digits', extra))

  before(async () => {
    node = await startNode()
    admin = (await readFile(`${node.home}/token`, 'utf8')).trim()
    for (const user of ['alice', 'bob']) {
      assert.equal((await call(node, 'PUT', `/repo/user/${user}`, admin, { password: `${user} password` })).status, 201)
    }
    alice = (await call(node, 'POST', '/repo/auth/alice', undefined, { password: 'alice password' })).body.token
    bob = (await call(node, 'POST', '/repo/auth/bob', undefined, { password: 'bob password' })).body.token
  })
  after(async () => { await node?.stop() })

  it('answers the original\'s request sequence with its status codes: create, list by keyword and tag, update, forbidden update, delete', async () => {
    const item = { name: 'MNIST Training', author: 'alice', type: 'template', tags: ['mnist', 'pytorch'], categories: ['vision'], summary: 'digits with pytorch', protocol: yaml() }
    // create as its author: 201 { id }
    const created = await call(node, 'POST', '/items', alice, item)
    assert.equal(created.status, 201)
    assert.match(created.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    const id = created.body.id
    // someone else as author: 403; no token: 401; a bad token: 401; an invalid protocol: 400
    assert.equal((await call(node, 'POST', '/items', alice, { ...item, author: 'bob' })).status, 403)
    assert.equal((await call(node, 'POST', '/items', undefined, item)).status, 401)
    assert.equal((await call(node, 'POST', '/items', 'not-a-token', item)).status, 401)
    assert.equal((await call(node, 'POST', '/items', alice, { ...item, name: 'broken', protocol: 'protocolVersion: 2\nname: x\n' })).status, 400)

    // list with keyword and tag
    const byKeyword = await call(node, 'GET', '/items?keyword=mnist', alice)
    assert.equal(byKeyword.status, 200)
    assert.deepEqual(byKeyword.body.map((i: any) => i.id), [id])
    assert.equal(byKeyword.body[0].author, 'alice')
    assert.equal(byKeyword.body[0].status, 'pending')
    assert.equal(byKeyword.body[0].protocol, item.protocol)
    assert.deepEqual((await call(node, 'GET', '/items?tag=pytorch,tensorflow', alice)).body.map((i: any) => i.id), [id])
    assert.deepEqual((await call(node, 'GET', '/items?tag=tensorflow', alice)).body, [])
    assert.deepEqual((await call(node, 'GET', '/items?keyword=nothing-like-it', alice)).body, [])
    assert.deepEqual((await call(node, 'GET', '/items?category=vision&author=alice', alice)).body.map((i: any) => i.id), [id])

    // update by the author: 200 "updated"; a new protocol is a new published version
    const updated = await call(node, 'PUT', `/items/${id}`, alice, { summary: 'digits, faster', protocol: yaml('--epochs 3') })
    assert.equal(updated.status, 200)
    assert.equal(updated.body, 'updated')
    const got = await call(node, 'GET', `/items/${id}`, alice)
    assert.equal(got.status, 200)
    assert.equal(got.body.summary, 'digits, faster')
    assert.match(got.body.protocol, /--epochs 3/)
    const entries = await call(node, 'GET', '/api/v1/marketplace/entries')
    const entry = entries.body.entries.find((e: any) => e.name === got.body.protocolName)
    assert.equal(entry.versions, 2)
    assert.equal(entry.user, 'alice')

    // another user may neither update nor delete it; only the admin sets its status
    assert.equal((await call(node, 'PUT', `/items/${id}`, bob, { summary: 'mine now' })).status, 403)
    assert.equal((await call(node, 'DELETE', `/items/${id}`, bob)).status, 403)
    assert.equal((await call(node, 'PUT', `/items/${id}`, alice, { status: 'approved' })).status, 403)
    assert.equal((await call(node, 'PUT', `/items/${id}`, admin, { status: 'approved' })).status, 200)
    assert.equal((await call(node, 'GET', `/items/${id}`)).body.status, 'approved')

    // delete by the author: 200 "deleted"; then it is gone: 404
    const deleted = await call(node, 'DELETE', `/items/${id}`, alice)
    assert.equal(deleted.status, 200)
    assert.equal(deleted.body, 'deleted')
    assert.equal((await call(node, 'GET', `/items/${id}`, alice)).status, 404)
    assert.equal((await call(node, 'PUT', `/items/${id}`, alice, { summary: 'x' })).status, 404)
    assert.deepEqual((await call(node, 'GET', '/items?keyword=mnist', alice)).body, [])
  })

  it('lists the protocols the node publishes by paip push as items too', async () => {
    await node.client.put('/repo/protocol/cifar.yaml', protocolYaml('cifar', 'Tiny images'), { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    const items = (await call(node, 'GET', '/items?name=cifar')).body
    assert.equal(items.length, 1)
    assert.equal(items[0].author, 'admin')
    assert.equal((await call(node, 'GET', `/items/${items[0].id}`)).body.name, 'cifar')
  })

  it('keeps private items from other users, and the official-example category for the admin', async () => {
    // alice's protocol name is hers: bob's protocol of the same name is bob/<name>, next to it
    const mine = await call(node, 'POST', '/items', alice, { name: 'Alice MNIST', author: 'alice', protocol: yaml() })
    assert.equal(mine.status, 201)
    const his = await call(node, 'POST', '/items', bob, { name: 'Bob MNIST', author: 'bob', protocol: yaml('--bob') })
    assert.equal(his.status, 201)
    assert.match((await call(node, 'GET', `/items/${mine.body.id as string}`, alice)).body.protocolName, /^alice\//)
    assert.doesNotMatch((await call(node, 'GET', `/items/${mine.body.id as string}`, alice)).body.protocol, /--bob/)
    const secret = await call(node, 'POST', '/items', bob, { name: 'bob secret', author: 'bob', isPublic: false, isPrivate: true, protocol: text('bob-secret') })
    assert.equal(secret.status, 201)
    assert.equal((await call(node, 'GET', `/items/${secret.body.id}`, alice)).status, 403)
    assert.equal((await call(node, 'GET', `/items/${secret.body.id}`)).status, 403)
    assert.equal((await call(node, 'GET', `/items/${secret.body.id}`, bob)).status, 200)
    assert.ok(!(await call(node, 'GET', '/items', alice)).body.some((i: any) => i.id === secret.body.id))
    assert.equal((await call(node, 'POST', '/items', alice, { name: 'official', author: 'alice', categories: ['official-example'], protocol: text('official') })).status, 403)
    assert.equal((await call(node, 'GET', '/items/00000000-0000-0000-0000-000000000000')).status, 404)
  })

  it('tags, categorises and stars items under the same rules, and lists tags and categories', async () => {
    const { body: { id } } = await call(node, 'POST', '/items', alice, { name: 'tagged', author: 'alice', tags: ['a'], protocol: text('tagged') })
    assert.equal((await call(node, 'POST', `/items/${id}/tag/b`, alice)).status, 200)
    assert.equal((await call(node, 'POST', `/items/${id}/tag/c`, bob)).status, 403)
    const tagsOf = await call(node, 'GET', `/items/${id}/tag`)
    assert.deepEqual(tagsOf.body.map?.((t: any) => t.name), ['a', 'b'], JSON.stringify(tagsOf))
    assert.equal((await call(node, 'DELETE', `/items/${id}/tag/a`, alice)).status, 200)
    assert.equal((await call(node, 'POST', `/items/${id}/category/nlp`, alice)).status, 200)
    assert.deepEqual((await call(node, 'GET', `/items/${id}/category`)).body.map((t: any) => t.name), ['nlp'])
    assert.ok((await call(node, 'GET', '/tags')).body.some((t: any) => t.name === 'b'))
    assert.ok((await call(node, 'GET', '/categories')).body.some((t: any) => t.name === 'nlp'))
    assert.equal((await call(node, 'PUT', `/users/bob/starItems/${id}`, bob)).status, 200)
    assert.equal((await call(node, 'PUT', `/users/alice/starItems/${id}`, bob)).status, 403)
    assert.equal((await call(node, 'GET', `/items/${id}`)).body.starNumber, 1)
    assert.deepEqual((await call(node, 'GET', '/users/bob/starItems', bob)).body.map((i: any) => i.id), [id])
    assert.equal((await call(node, 'DELETE', `/users/bob/starItems/${id}`, bob)).status, 200)
    assert.equal((await call(node, 'GET', `/items/${id}`)).body.starNumber, 0)
  })
})
