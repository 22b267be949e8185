import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { paip } from '../fixtures/cli.js'
import { userOf } from '../algorithms/fixtures.js'
import { exampleWorkflow } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Server } from 'node:http'

async function listen (server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/**
 * The ends of a workflow run against stand-in servers: an https end trusted only through its
 * CA certificate, and a source that offers a data file far larger than the destination's disk.
 */
describe('workflow: ends', function () {
  this.timeout(120_000)
  let destination: TestNode
  let dir: string
  let deployToken: string
  const servers: Server[] = []

  before(async () => {
    destination = await startNode()
    dir = await mkdtemp(join(tmpdir(), 'paip-wf-ends-'))
    deployToken = (await userOf(destination, 'deploy', ['publish', 'run', 'read'])).token
  })
  after(async () => {
    for (const s of servers) s.close()
    await destination?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('trusts an https end through the CA certificate it is given, and only then', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    const https = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { name: 'UnauthorizedError', kind: 'unauthorized', message: 'the token is not valid on this node' } }))
    })
    servers.push(https)
    const port = await listen(https)
    await writeFile(join(dir, 'w.json'), JSON.stringify(exampleWorkflow(`https://127.0.0.1:${port}`)))
    const env = { SOURCE_API_KEY: 'k', DESTINATION_API_ADDRESS: destination.url, DESTINATION_API_KEY: deployToken }
    const untrusted = await paip(['workflow', 'run', 'w.json'], { env, cwd: dir })
    assert.equal(untrusted.code, 7, untrusted.stderr)
    assert.match(untrusted.stderr, /could not be reached/)
    const trusted = await paip(['workflow', 'run', 'w.json'], { env: { ...env, SOURCE_CA_CERT: join(dir, 'cert.pem') }, cwd: dir })
    assert.equal(trusted.code, 3, trusted.stderr)
    assert.match(trusted.stderr, /source API key is not valid/)
    const missing = await paip(['workflow', 'run', 'w.json'], { env: { ...env, SOURCE_CA_CERT: join(dir, 'nope.pem') }, cwd: dir })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /source CA certificate .*nope\.pem cannot be read/)
  })

  it('fails the copy of a data file larger than the destination\'s free space, before moving it', async () => {
    // more than any disk here has free (a 10 GB file on a node with less space)
    const huge = 2 ** 50
    let streamed = 0
    const source = createHttpServer((req, res) => {
      if (req.url === '/api/v1/whoami') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"user":"quality","kind":"user"}'); return }
      if (req.url?.includes('/algo_code/')) { res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 3 }).end('abc'); return }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': huge, 'x-paip-cid': 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' })
      const chunk = Buffer.alloc(64 * 1024)
      const pump = (): void => {
        while (streamed < 64 * 1024 * 1024 && res.write(chunk)) streamed += chunk.byteLength
        if (streamed < 64 * 1024 * 1024) res.once('drain', pump)
      }
      res.on('close', () => { res.destroy() })
      pump()
    })
    servers.push(source)
    const port = await listen(source)
    await writeFile(join(dir, 'big.json'), JSON.stringify(exampleWorkflow(`http://127.0.0.1:${port}`)))
    const run = await paip(['--json', 'workflow', 'run', 'big.json'], { env: { SOURCE_API_KEY: 'k', DESTINATION_API_ADDRESS: destination.url, DESTINATION_API_KEY: deployToken }, cwd: dir })
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout)
    const failed = report.steps.find((s: any) => !s.ok)
    assert.equal(failed.what, 'data://.my/image_models/kernel.json')
    assert.equal(failed.error.name, 'DataTooLargeError')
    assert.match(run.stderr, /do not fit on this node/)
    assert.equal(report.bytes, 3)
  })
})
