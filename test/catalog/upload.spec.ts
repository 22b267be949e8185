import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import tar from 'tar-stream'
import { paip } from '../fixtures/cli.js'
import { runBin } from '../fixtures/bin.js'
import { TOKEN, bytesOf, collect, serve, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import type { CatalogNode } from './helpers.js'
import type { ApiServer } from '../../src/api/server.js'

/** A tar archive of the given entries, as a hostile client could build it. */
async function tarOf (entries: Array<{ name: string, type?: 'file' | 'symlink' | 'link' | 'directory', content?: string, linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack()
  for (const e of entries) {
    ;(pack.entry as any)({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, ...(e.type == null || e.type === 'file' ? [Buffer.from(e.content ?? '')] : []))
  }
  pack.finalize()
  return await collect(pack as any)
}

describe('catalog: uploading a directory to another node', function () {
  this.timeout(90_000)
  let nodes: CatalogNode[] = []
  const servers: ApiServer[] = []
  const urls: string[] = []
  let work: string
  const shutdown = new AbortController()
  const env = (): Record<string, string> => ({ PAIP_TOKEN: TOKEN, PAIP_HOME: path.join(work, 'no-home') })

  before(async () => {
    nodes = await startCatalogNodes(2)
    for (const node of nodes) {
      const { server, url } = await serve(node, shutdown.signal)
      servers.push(server)
      urls.push(url)
    }
    work = await tempDir('paip-upload-')
  })
  after(async () => {
    shutdown.abort()
    await Promise.allSettled(servers.map(async s => s.close()))
    await stopCatalogNodes(nodes)
    if (work != null) await fs.rm(work, { recursive: true, force: true })
  })

  it('`paip datasets add <dir> --api <remote>` streams the tree and the remote node holds every file', async () => {
    const big = bytesOf(3 * 1024 * 1024 + 17)
    await writeTree(path.join(work, 'digits'), { 'train/a.csv': '1,2\n', 'train/b.csv': '3,4\n', 'test.bin': big, 'deep/er/c.txt': 'c' })
    await fs.symlink('test.bin', path.join(work, 'digits', 'alias.bin'))
    const run = await runBin(['datasets', 'add', 'digits', '--name', 'digits', '--tags', '#digits', '--api', urls[1], '--json'], { cwd: work, env: env() })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json().files, 5)
    const resolved = await nodes[1].catalog.resolve('dataset', 'digits')
    assert.deepEqual(resolved.files.map(f => f.path), ['alias.bin', 'deep/er/c.txt', 'test.bin', 'train/a.csv', 'train/b.csv'])
    const stored = resolved.files.find(f => f.path === 'test.bin')
    assert.ok(stored != null)
    assert.ok(Buffer.from(big).equals(await fs.readFile(stored.blobPath)))
    assert.equal(await nodes[0].catalog.list('dataset').then(l => l.length), 0)
  })

  it('draws a progress bar on a terminal while uploading', async () => {
    await writeTree(path.join(work, 'bar'), { 'x.bin': bytesOf(2 * 1024 * 1024) })
    const run = await paip(['--api', urls[1], 'models', 'add', 'bar', '--name', 'bar', '--framework', 'onnx', '--task', 'regression'], { env: env(), cwd: work, isTTY: true })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /\[#+\] 2\.0 MiB\/2\.0 MiB/)
  })

  it('refuses a directory that walks out of itself through a symlink, storing nothing', async () => {
    await writeTree(path.join(work, 'leaky'), { 'ok.csv': '1' })
    await fs.symlink(path.join(work, 'digits', 'test.bin'), path.join(work, 'leaky', 'outside.bin'))
    const run = await runBin(['datasets', 'add', 'leaky', '--name', 'leaky', '--api', urls[1]], { cwd: work, env: env() })
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /symbolic link points outside/)
  })

  it('answers a hostile tar (.., absolute paths, links, a path twice, garbage) with 400 and keeps nothing', async () => {
    const before = await nodes[1].catalog.list('dataset')
    const hostile = [
      await tarOf([{ name: 'ok.csv', content: '1' }, { name: '../escape.csv', content: 'x' }]),
      await tarOf([{ name: '/etc/passwd', content: 'x' }]),
      await tarOf([{ name: 'ok.csv', content: '1' }, { name: 'link', type: 'symlink', linkname: '/etc/passwd' }]),
      await tarOf([{ name: 'hard', type: 'link', linkname: 'ok.csv' }]),
      await tarOf([{ name: 'a.csv', content: '1' }, { name: './a.csv', content: '2' }]),
      await tarOf([{ name: 'only-dir/', type: 'directory' }]),
      Buffer.from('this is not a tar archive at all, just some bytes'.repeat(20))
    ]
    for (const [i, body] of hostile.entries()) {
      const response = await fetch(`${urls[1]}/api/v1/datasets?metadata=${encodeURIComponent(JSON.stringify({ name: `hostile${i}` }))}`, {
        method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-tar' }
      })
      const answer = await response.json() as any
      assert.equal(response.status, 400, `upload ${i}: ${JSON.stringify(answer)}`)
      assert.equal(answer.error.kind, 'invalid-input', `upload ${i}`)
    }
    assert.deepEqual(await nodes[1].catalog.list('dataset'), before)
    const unauthenticated = await fetch(`${urls[1]}/api/v1/datasets?metadata=${encodeURIComponent(JSON.stringify({ name: 'anon' }))}`, {
      method: 'POST', body: hostile[0], headers: { 'content-type': 'application/x-tar' }
    })
    assert.equal(unauthenticated.status, 401)
  })

  it('`paip models get <name>` copies a public model from the grid to this node', async () => {
    await writeTree(path.join(work, 'lenet'), { 'model.onnx': 'weights', 'labels.txt': '0\n1\n' })
    const added = await runBin(['models', 'add', 'lenet', '--name', 'lenet', '--framework', 'onnx', '--task', 'image-classification', '--public', '--api', urls[0]], { cwd: work, env: env() })
    assert.equal(added.code, 0, added.stderr)
    const got = await runBin(['models', 'get', 'lenet', '--api', urls[1], '--json'], { cwd: work, env: env() })
    assert.equal(got.code, 0, got.stderr)
    assert.equal(got.json().name, 'lenet')
    assert.equal((await nodes[1].catalog.get('model', 'lenet')).files, 2)
    const missing = await runBin(['models', 'get', 'no-such-model', '--api', urls[1]], { cwd: work, env: env() })
    assert.equal(missing.code, 4, missing.stderr)
  })
})
