import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createApiClient } from '../../src/client/index.js'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

const PAIP_BIN = fileURLToPath(new URL('../../../bin/paip', import.meta.url))

/** `paip <args>` through the real bin/paip, as a user types it, with `input` on its standard input. */
async function bin (node: TestNode, args: string[], input = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [PAIP_BIN, '--home', node.home, ...args], { env: { ...process.env, PAIP_TOKEN: '' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  child.stdin.end(input)
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  }).finally(() => { clearTimeout(timer) })
  return { code, stdout, stderr }
}

describe('users: `paip users` through bin/paip', function () {
  this.timeout(60_000)
  let node: TestNode
  before(async () => { node = await startNode() })
  after(async () => { await node?.stop() })

  it('adds, lists, grants, revokes and removes users with the local admin token', async () => {
    const add = await bin(node, ['users', 'add', 'alice', '--role', 'publish,run', '--password-stdin'], 'correct horse\n')
    assert.equal(add.code, 0, add.stderr)
    assert.match(add.stdout, /added user alice \(publish,run\)/)
    const { token } = await node.anonymous.post<any>('/repo/auth/alice', { password: 'correct horse' })
    assert.match(token, /^paip_u_/, 'the password came from standard input, without its newline')

    const list = await bin(node, ['users', 'list'])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^alice {2}publish,run {2}since /m)

    const grant = await bin(node, ['--json', 'users', 'grant', 'alice', 'read'])
    assert.equal(grant.code, 0, grant.stderr)
    assert.deepEqual(JSON.parse(grant.stdout).roles, ['publish', 'run', 'read'])

    const revoke = await bin(node, ['users', 'revoke', 'alice', 'run'])
    assert.equal(revoke.code, 0, revoke.stderr)
    assert.match(revoke.stdout, /^alice {2}publish,read/m)

    const unknown = await bin(node, ['users', 'grant', 'alice', 'root'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /^paip: no role "root": roles are admin, publish, run, read\n$/)

    const rm = await bin(node, ['users', 'rm', 'alice'])
    assert.equal(rm.code, 0, rm.stderr)
    assert.match(rm.stdout, /removed user alice/)
    await assert.rejects(createApiClient({ url: node.url, token }).get('/api/v1/jobs'), (err: any) => err.status === 401)
    const again = await bin(node, ['users', 'rm', 'alice'])
    assert.equal(again.code, 4)
    assert.match(again.stderr, /no user "alice"/)
  })

  it('refuses a user token: only the node\'s admin manages users', async () => {
    await node.client.post('/api/v1/users', { name: 'bob', password: 'correct horse' })
    const { token } = await node.anonymous.post<any>('/repo/auth/bob', { password: 'correct horse' })
    const child = spawn(process.execPath, [PAIP_BIN, '--home', node.home, 'users', 'list'], { env: { ...process.env, PAIP_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', chunk => { stderr += String(chunk) })
    const code = await new Promise(resolve => child.once('exit', resolve))
    assert.equal(code, 3)
    assert.match(stderr, /only the node's admin/)
  })
})
