import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

const exec = promisify(execFile)
const metadata = encodeURIComponent(JSON.stringify({ name: 'upload', description: 'an upload' }))

/** One raw HTTP/1.1 exchange: what the server sent back (status line, headers, body). */
async function rawHttp (url: string, request: string): Promise<{ status: number, body: string }> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', chunk => { data += chunk })
    socket.on('error', reject)
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), body: rest.join('\r\n\r\n') })
    })
    socket.write(request)
  })
}

function isErrorShape (body: any, name?: string): boolean {
  return typeof body?.error?.message === 'string' && typeof body.error.kind === 'string' && (name == null || body.error.name === name)
}

describe('api: client mistakes are 4xx in the error shape, never a 500', function () {
  this.timeout(60_000)
  let node: TestNode
  let token: string

  before(async () => {
    node = await startNode()
    token = node.client.token as string
  })
  after(async () => { await node?.stop() })

  const call = async (method: string, path: string, init: { body?: any, type?: string } = {}): Promise<{ status: number, body: any }> => {
    const response = await fetch(node.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(init.type == null ? {} : { 'content-type': init.type }) },
      body: init.body
    })
    const text = await response.text()
    let body: any = text
    try { body = JSON.parse(text) } catch {}
    return { status: response.status, body }
  }

  it('decodes a protocol path once: /repo/protocol/a%25.yaml is "a%.yaml", not a 500', async () => {
    const read = await call('GET', '/repo/protocol/a%25.yaml')
    assert.equal(read.status, 404, JSON.stringify(read.body))
    assert.ok(isErrorShape(read.body))
    const put = await call('PUT', '/repo/protocol/a%25.yaml', { body: 'not: [a protocol', type: 'text/yaml' })
    assert.ok(put.status >= 400 && put.status < 500, JSON.stringify(put.body))
    assert.ok(isErrorShape(put.body))
  })

  for (const filename of ['..', '.', '%00', 'a%2F..%2F..', '']) {
    it(`refuses an upload named ${JSON.stringify(filename)} with 400`, async () => {
      const answer = await call('POST', `/api/v1/datasets?filename=${filename}&metadata=${metadata}`, { body: 'some bytes', type: 'application/octet-stream' })
      assert.equal(answer.status, 400, JSON.stringify(answer.body))
      assert.ok(isErrorShape(answer.body))
    })
  }

  it('answers a raw protocol push over 1 MiB with 413, not a reset connection', async () => {
    const big = Buffer.alloc(1024 * 1024 + 4096, 'a')
    for (const type of ['application/octet-stream', 'text/yaml']) {
      const answer = await call('PUT', '/repo/protocol/big.yaml', { body: big, type })
      assert.equal(answer.status, 413, `${type}: ${JSON.stringify(answer.body)}`)
      assert.ok(isErrorShape(answer.body, 'BodyTooLargeError'), JSON.stringify(answer.body))
    }
    // the node still answers on a new connection
    assert.equal((await call('GET', '/health-check')).status, 200)
  })

  it('answers headers that are too large with 431 in the error shape, and a malformed request with 400', async () => {
    const tooLarge = await rawHttp(node.url, `GET /api/v1/id HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`)
    assert.equal(tooLarge.status, 431)
    assert.ok(isErrorShape(JSON.parse(tooLarge.body), 'HeadersTooLargeError'), tooLarge.body)
    const garbage = await rawHttp(node.url, 'GARBAGE\r\n\r\n')
    assert.equal(garbage.status, 400)
    assert.ok(isErrorShape(JSON.parse(garbage.body)), garbage.body)
  })

  it('refuses JSON values of the wrong type instead of converting them', async () => {
    for (const [path, body] of [
      ['/repo/user/bob', { password: 12345678 }],
      ['/repo/auth/bob', { password: 12345678 }],
      ['/repo/auth/bob', { password: true }],
      ['/api/v1/ping', { peer: 12345 }]
    ] as const) {
      const method = path.startsWith('/repo/user') ? 'PUT' : 'POST'
      const answer = await call(method, path, { body: JSON.stringify(body), type: 'application/json' })
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`)
      assert.ok(isErrorShape(answer.body, 'InvalidRequestError'))
    }
    const created = await call('GET', '/api/v1/users/bob')
    assert.equal(created.status, 404)
  })

  it('answers malformed JSON and a bad Authorization header with 4xx', async () => {
    assert.equal((await call('POST', '/repo/auth/bob', { body: '{"password":', type: 'application/json' })).status, 400)
    const response = await fetch(node.url + '/api/v1/id', { headers: { authorization: 'Basic abc' } })
    assert.equal(response.status, 401)
    assert.ok(isErrorShape(await response.json()))
  })
})

describe('api: a full disk', function () {
  this.timeout(60_000)
  let home: string
  let mounted = false
  let node: TestNode | undefined
  const warnings: string[] = []

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'paip-full-'))
    await mkdir(join(home, 'blobs'))
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', join(home, 'blobs')])
      mounted = true
    } catch {
      // a tmpfs needs root (CAP_SYS_ADMIN): say so rather than pass quietly
      this.skip()
    }
    node = await startNode({ home, keepHome: true, onWarning: message => { warnings.push(message) } })
  })
  after(async () => {
    await node?.stop()
    if (mounted) await exec('umount', [join(home, 'blobs')])
    await rm(home, { recursive: true, force: true })
  })

  it('answers an upload that fills the disk with 507 and logs it at the default level', async () => {
    const response = await fetch(`${node!.url}/api/v1/datasets?filename=big.bin&metadata=${metadata}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node!.client.token as string}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(4 * 1024 * 1024, 1)
    })
    const body = await response.json()
    assert.equal(response.status, 507, JSON.stringify(body))
    assert.ok(isErrorShape(body, 'StorageFullError'), JSON.stringify(body))
    assert.ok(warnings.some(w => /full|no space/i.test(w)), warnings.join('\n'))
    // nothing half-written is left behind, and the node goes on answering
    assert.equal((await fetch(`${node!.url}/health-check`)).status, 200)
  })
})
