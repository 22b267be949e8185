import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initRepository, openRepository } from '../../src/repo/index.js'
import { launchBrowser, newPage } from '../fixtures/browser.js'
import { paip } from '../fixtures/cli.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { ChildProcess } from 'node:child_process'

const BIN = new URL('../../../bin/paip', import.meta.url).pathname

async function commit (dir: string, file: string, content: Uint8Array, message: string): Promise<void> {
  await writeFile(join(dir, file), content)
  const repo = await openRepository(dir)
  try {
    await repo.add([file])
    await repo.commit(message)
  } finally { await repo.close() }
}

describe('serve: paip serve [dir], the portal over a local repository', function () {
  this.timeout(90_000)
  let dir: string
  let child: ChildProcess | undefined
  let url: string
  let stdout = ''

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-serve-'))
    await (await initRepository(dir, { author: 'ada' })).close()
    await commit(dir, 'mnist.yaml', protocolYaml('mnist', 'Handwritten digits'), 'first')
    await commit(dir, 'mnist.yaml', protocolYaml('mnist', 'Handwritten digits', '--lr 0.1'), 'a learning rate')
    // the real executable, as a user types it
    child = spawn(process.execPath, [BIN, 'serve', dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PAIP_HOME: join(dir, 'no-home') } })
    child.stdout?.on('data', chunk => { stdout += String(chunk) })
    await until(() => /at (http:\/\/127\.0\.0\.1:\d+\/)/.test(stdout), 30_000, 'paip serve to print its URL')
    url = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1] ?? ''
  })
  after(async () => {
    if (child?.exitCode == null) child?.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('prints the port it listens on and serves the portal there, as a read-only repository', async () => {
    assert.match(stdout, /\(read-only\)/)
    assert.match(stdout, /port \d+/)
    const page = await fetch(url + '/')
    assert.equal(page.status, 200)
    const info: any = await (await fetch(url + '/api/v1/portal')).json()
    assert.equal(info.mode, 'repository')
  })

  it('searches and shows the repository\'s protocols with their whole history', async () => {
    const found: any = await (await fetch(url + '/repo/search/digits')).json()
    assert.deepEqual(found.results.map((r: any) => r.name), ['mnist'])
    assert.equal(found.results[0].versions, 2)
    const history: any = await (await fetch(url + '/api/v1/marketplace/history?ref=mnist')).json()
    assert.deepEqual(history.versions.map((v: any) => v.message), ['a learning rate', 'first'])
    assert.match(history.versions[0].content, /--lr 0\.1/)
    assert.equal(await (await fetch(url + '/repo/protocol/mnist.yaml')).text(), new TextDecoder().decode(protocolYaml('mnist', 'Handwritten digits', '--lr 0.1')))
  })

  it('refuses every write, and files outside the repository', async () => {
    const put = await fetch(url + '/repo/protocol/evil.yaml', { method: 'PUT', headers: { 'content-type': 'text/yaml' }, body: 'x: 1' })
    assert.equal(put.status, 401)
    const forged = await fetch(url + '/repo/protocol/evil.yaml', { method: 'PUT', headers: { 'content-type': 'text/yaml', authorization: 'Bearer guessed' }, body: 'x: 1' })
    assert.equal(forged.status, 401)
    assert.equal((await fetch(url + '/repo/protocol/..%2F..%2Fetc%2Fpasswd')).status, 400)
    // a pull makes a node fetch and store: refused to anonymous callers (401) before the read-only market would (403)
    assert.equal((await fetch(url + '/api/v1/marketplace/pull?ref=mnist')).status, 401)
    assert.equal((await fetch(url + '/api/v1/jobs')).status, 404)
  })

  it('leaves the repository usable meanwhile: a new commit shows up', async () => {
    await commit(dir, 'cifar.yaml', protocolYaml('cifar', 'Tiny images'), 'cifar')
    await until(async () => ((await (await fetch(url + '/repo/search/tiny')).json()) as any).results.length === 1, 10_000, 'the new protocol')
  })

  it('is browsable in Chromium: search, open, diff two versions', async () => {
    const browser = await launchBrowser()
    try {
      const errors: string[] = []
      const page = await newPage(browser, errors)
      await page.goto(url + '/')
      await page.getByText('read-only').waitFor()
      await page.getByRole('searchbox').fill('handwritten')
      await page.getByRole('link', { name: 'mnist' }).click()
      await page.getByRole('heading', { name: 'mnist', level: 1 }).waitFor()
      assert.ok((await page.locator('.diff .d-add').allTextContents()).some(l => l.includes('--lr 0.1')))
      assert.equal(await page.getByRole('link', { name: 'Publish' }).count(), 0)
      assert.deepEqual(errors, [])
    } finally { await browser.close() }
  })

  it('stops on Ctrl-C with exit code 0', async () => {
    const exited = new Promise<number | null>(resolve => child?.once('exit', code => { resolve(code) }))
    child?.kill('SIGINT')
    assert.equal(await exited, 0)
  })

  it('says clearly when the directory is no repository', async () => {
    const run = await paip(['serve', tmpdir() + '/paip-nowhere-' + Date.now()])
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /repository/i)
    const bad = await paip(['serve', dir, '--port', 'x'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /--port/)
  })
})
