import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { createUsers } from '../../src/users/index.js'

describe('users', () => {
  let dir: string
  let db: Level<string, any>
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-users-'))
    db = new Level<string, any>(dir, { valueEncoding: 'json' })
    await db.open()
  })
  afterEach(async () => { await db.close(); await rm(dir, { recursive: true, force: true }) })

  it('stores only a scrypt hash of the password', async () => {
    const users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any })
    await users.create('alice', 'correct horse')
    const raw = JSON.stringify(await db.sublevel('users', { valueEncoding: 'json' }).get('user:alice'))
    assert.ok(!raw.includes('correct horse'))
    assert.match(raw, /scrypt/)
  })

  it('logs in with the right password and the token names the user', async () => {
    const users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any })
    await users.create('alice', 'correct horse')
    const { token, expires } = await users.login('alice', 'correct horse')
    assert.ok(expires > Date.now())
    assert.deepEqual(await users.verifyToken(token), { kind: 'user', name: 'alice', roles: ['publish', 'read'], groups: [] })
    const raw = JSON.stringify(await db.sublevel('users', { valueEncoding: 'json' }).values().all())
    assert.ok(!raw.includes(token), 'the token itself is not stored')
  })

  it('refuses a wrong password and slows repeated failures down', async () => {
    const users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any }, { freeFailures: 2, failureDelay: 200 })
    await users.create('alice', 'correct horse')
    for (let i = 0; i < 2; i++) await assert.rejects(users.login('alice', 'wrong'), { name: 'BadCredentialsError' })
    await assert.rejects(users.login('alice', 'wrong'), { name: 'BadCredentialsError' })
    const started = Date.now()
    await assert.rejects(users.login('alice', 'wrong'), { name: 'BadCredentialsError' })
    assert.ok(Date.now() - started >= 350, 'the fourth failure waited')
    await assert.rejects(users.login('nobody', 'whatever'), { name: 'BadCredentialsError' })
  })

  it('refuses expired and revoked tokens', async () => {
    let clock = Date.now()
    const users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any }, { tokenTtl: 1000, now: () => clock })
    await users.create('alice', 'correct horse')
    const a = await users.login('alice', 'correct horse')
    const b = await users.login('alice', 'correct horse')
    await users.revoke(a.token)
    assert.equal(await users.verifyToken(a.token), undefined)
    assert.ok(await users.verifyToken(b.token) != null)
    clock += 2000
    assert.equal(await users.verifyToken(b.token), undefined)
    assert.equal(await users.verifyToken('paip_u_made-up'), undefined)
  })

  it('refuses duplicate users, bad names and short passwords', async () => {
    const users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any })
    await users.create('alice', 'correct horse')
    await assert.rejects(users.create('alice', 'another pass'), { name: 'UserExistsError' })
    await assert.rejects(users.create('../etc', 'another pass'), { name: 'InvalidUserNameError' })
    await assert.rejects(users.create('admin', 'another pass'), { name: 'InvalidUserNameError' })
    await assert.rejects(users.create('bob', 'short'), { name: 'WeakPasswordError' })
  })
})
