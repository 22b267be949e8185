import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { jobOwner } from '../../src/api/routes/jobs.js'
import { createUsers, requireOwner, requireRole } from '../../src/users/index.js'
import type { Users } from '../../src/users/index.js'

describe('users: roles and removal', () => {
  let dir: string
  let db: Level<string, any>
  let users: Users
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-roles-'))
    db = new Level<string, any>(dir, { valueEncoding: 'json' })
    await db.open()
    users = createUsers({ db: db.sublevel('users', { valueEncoding: 'json' }) as any })
  })
  afterEach(async () => { await db.close(); await rm(dir, { recursive: true, force: true }) })

  it('gives a new user publish and read, never run, unless roles are named', async () => {
    assert.deepEqual((await users.create('alice', 'correct horse')).roles, ['publish', 'read'])
    assert.deepEqual((await users.create('bob', 'correct horse', { roles: ['publish'] })).roles, ['publish'])
    assert.equal(await users.hasRole('alice', 'run'), false)
    assert.equal(await users.hasRole('nobody', 'read'), false)
  })

  it('grants and revokes roles, and a token carries the roles the user holds now', async () => {
    await users.create('alice', 'correct horse')
    const { token } = await users.login('alice', 'correct horse')
    assert.deepEqual((await users.grantRoles('alice', ['run'])).roles, ['publish', 'run', 'read'])
    assert.deepEqual((await users.verifyToken(token))?.roles, ['publish', 'run', 'read'])
    assert.equal(await users.hasRole('alice', 'run'), true)
    assert.deepEqual((await users.revokeRoles('alice', ['run', 'publish'])).roles, ['read'])
    assert.deepEqual((await users.verifyToken(token))?.roles, ['read'])
    await assert.rejects(users.grantRoles('alice', ['root' as any]), { name: 'UnknownRoleError' })
    await assert.rejects(users.grantRoles('nobody', ['run']), { name: 'UserNotFoundError' })
  })

  it('lists users with their roles, never their password hashes', async () => {
    await users.create('bob', 'correct horse', { roles: [] })
    await users.create('alice', 'correct horse')
    const list = await users.list()
    assert.deepEqual(list.map(u => [u.name, u.roles]), [['alice', ['publish', 'read']], ['bob', []]])
    assert.ok(!JSON.stringify(list).includes('scrypt'))
  })

  it('stops the tokens of a removed user, also when a user of the same name is made again', async () => {
    await users.create('alice', 'correct horse')
    const { token } = await users.login('alice', 'correct horse')
    await users.remove('alice')
    assert.equal(await users.verifyToken(token), undefined)
    await new Promise(resolve => setTimeout(resolve, 5))
    await users.create('alice', 'another horse')
    assert.equal(await users.verifyToken(token), undefined)
    await assert.rejects(users.remove('nobody'), { name: 'UserNotFoundError' })
  })

  it('lets only the owner or the admin act on a thing, naming its owner', () => {
    const alice = { kind: 'user' as const, name: 'alice', roles: ['publish'] }
    const admin = { kind: 'admin' as const, name: 'admin' }
    requireOwner(alice, 'alice', 'dataset mnist', 'delete')
    requireOwner(admin, 'alice', 'dataset mnist', 'delete')
    requireOwner({ kind: 'user', name: 'carol', roles: ['admin'] }, 'alice', 'dataset mnist', 'delete')
    assert.throws(() => requireOwner(alice, 'bob', 'dataset mnist', 'delete'), (err: any) => err.name === 'NotOwnerError' && err.kind === 'forbidden' && /belongs to bob/.test(err.message))
    assert.throws(() => requireOwner(alice, undefined, 'dataset mnist', 'delete'), (err: any) => err.details.owner === 'admin')
    // a remote user of the same name is not the local one
    assert.throws(() => requireOwner(alice, 'alice@12D3KooWRemote', 'job j1', 'cancel'), { name: 'NotOwnerError' })
    assert.throws(() => requireRole(alice, 'run', 'run jobs'), (err: any) => err.name === 'RoleRequiredError' && /paip users grant alice run/.test(err.message))
    requireRole(admin, 'run', 'run jobs')
  })

  it('records a job another node sent as owned by user@peer, which no local user is', () => {
    const job = (peer: string, user?: string): any => ({ submitter: { peer, ...(user == null ? {} : { user }) } })
    assert.equal(jobOwner(job('12D3KooWSelf', 'alice'), '12D3KooWSelf'), 'alice')
    assert.equal(jobOwner(job('12D3KooWRemote', 'alice'), '12D3KooWSelf'), 'alice@12D3KooWRemote')
    assert.equal(jobOwner(job('12D3KooWRemote'), '12D3KooWSelf'), 'admin@12D3KooWRemote')
    const alice = { kind: 'user' as const, name: 'alice', roles: ['run'] }
    assert.throws(() => requireOwner(alice, jobOwner(job('12D3KooWRemote', 'alice'), '12D3KooWSelf'), 'job j1', 'cancel'), { name: 'NotOwnerError' })
  })
})
