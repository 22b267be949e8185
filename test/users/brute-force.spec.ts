import assert from 'node:assert/strict'
import { request } from 'node:http'
import { sublevel } from '../../src/node/database.js'
import { defaultComponents } from '../../src/node/registry.js'
import { createUsers } from '../../src/users/index.js'
import { addressKey } from '../../src/users/throttle.js'
import { startNode } from '../fixtures/daemon.js'
import type { NodeComponents } from '../../src/node/components.js'
import type { TestNode } from '../fixtures/daemon.js'

/** The throttle's curve, short for the test: 3 free failures, then 50, 100, 200, 400 ms (the cap). */
const FREE = 3
const STEP = 50
const CAP = 400

describe('users: password guessing is slowed down over HTTP (per user and per client address)', function () {
  this.timeout(120_000)
  let node: TestNode

  before(async () => {
    const components = defaultComponents().map(entry => entry.name !== 'users'
      ? entry
      : { ...entry, create: (c: NodeComponents) => createUsers({ db: sublevel(c.db, 'users'), logger: c.logger, authenticator: c.authenticator }, { freeFailures: FREE, failureDelay: STEP, maxFailureDelay: CAP }) })
    node = await startNode({ components })
    await node.client.put('/repo/user/alice', { password: 'correct horse' })
  })
  after(async () => {
    await node?.stop()
  })

  /** A login attempt from a loopback address of its own (127.0.0.0/8 is all this machine's). */
  async function login (from: string, user: string, password: string): Promise<{ status: number, ms: number }> {
    const started = Date.now()
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${node.url}/repo/auth/${user}`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' }, agent: false }, response => {
        response.resume()
        response.on('end', () => { resolve(response.statusCode ?? 0) })
      })
      req.on('error', reject)
      req.end(JSON.stringify({ password }))
    })
    return { status, ms: Date.now() - started }
  }

  it('holds the delay under parallel guesses from one address: they run one after another', async () => {
    // 7 failures bring this address to the cap
    for (let i = 0; i < 7; i++) assert.equal((await login('127.0.0.2', 'alice', `guess ${i}`)).status, 401)
    const parallel = 12
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: parallel }, async (_, i) => await login('127.0.0.2', 'alice', `parallel ${i}`)))
    const elapsed = Date.now() - started
    assert.ok(answers.every(a => a.status === 401))
    // today's flaw was all of them waiting the same delay side by side and getting through together
    assert.ok(elapsed >= parallel * CAP * 0.9, `${parallel} parallel guesses took ${elapsed} ms, less than ${parallel} delays of ${CAP} ms`)
  })

  it('does not delay the right password from another address beyond a small bound while guesses are under way', async () => {
    const guesses = Promise.all(Array.from({ length: 8 }, async (_, i) => await login('127.0.0.2', 'alice', `more ${i}`)))
    await new Promise(resolve => setTimeout(resolve, 200))
    const owner = await login('127.0.0.3', 'alice', 'correct horse')
    assert.equal(owner.status, 200)
    // the bound: the password check itself (scrypt), never the attacker's delays (8 x 400 ms queued)
    assert.ok(owner.ms < 2000, `the right password took ${owner.ms} ms`)
    await guesses
  })

  it('spaces guesses at one user from many addresses that have failed before, one slot after another', async () => {
    const addresses = Array.from({ length: 8 }, (_, i) => `127.0.1.${i + 1}`)
    // each address spends its one clean attempt; the user's failures reach the cap
    for (const from of addresses) assert.equal((await login(from, 'alice', 'first try')).status, 401)
    const started = Date.now()
    const answers = await Promise.all(addresses.map(async from => await login(from, 'alice', 'second try')))
    const elapsed = Date.now() - started
    assert.ok(answers.every(a => a.status === 401))
    assert.ok(elapsed >= (addresses.length - 1) * CAP * 0.9, `${addresses.length} suspect guesses at alice took ${elapsed} ms`)
  })

  it('counts failures per address across users: guessing many names from one address slows it down', async () => {
    for (let i = 0; i < FREE + 2; i++) assert.equal((await login('127.0.0.4', `nobody${i}`, 'x'.repeat(8))).status, 401)
    const next = await login('127.0.0.4', 'someone-else', 'x'.repeat(8))
    assert.equal(next.status, 401)
    assert.ok(next.ms >= STEP * 4 * 0.9, `the next guess from that address took ${next.ms} ms`)
  })

  it('groups IPv6 addresses by /64 and IPv4-mapped ones as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:bbbb::2'))
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'))
    assert.equal(addressKey('::ffff:127.0.0.2'), '127.0.0.2')
  })
})
