import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { runBin } from '../fixtures/bin.js'
import { protocolYaml } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('marketplace: the forms of `paip search`', function () {
  this.timeout(90_000)
  let node: TestNode
  let dir: string
  let env: Record<string, string>

  before(async () => {
    node = await startNode()
    dir = await mkdtemp(join(tmpdir(), 'paip-search-forms-'))
    // no local node: a search that does not go through the marketplace fails
    env = { PAIP_CONFIG_DIR: join(dir, 'config'), PAIP_HOME: join(dir, 'no-home'), HOME: dir, PAIP_API_PORT: '1' }
    const response = await node.client.request('/repo/protocol/mnist.yaml', { method: 'PUT', raw: true, headers: { 'content-type': 'text/yaml' }, body: protocolYaml('mnist', 'Handwritten digits') })
    assert.ok(response.ok, await response.text())
    const added = await runBin(['marketplace', 'add', 'home', node.url], { env })
    assert.equal(added.code, 0, added.stderr)
  })
  after(async () => {
    await node?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('`paip search <marketplace> <keywords>` searches through that marketplace for the keywords', async () => {
    const run = await runBin(['search', 'home', 'handwritten', '--json', '--timeout', '1000'], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json().marketplace, 'home')
    assert.deepEqual(run.json().keywords, ['handwritten'])
    assert.deepEqual(run.json().results.map((r: any) => r.name), ['mnist'])
  })

  it('a lone word, or a first word that names no marketplace, is a keyword', async () => {
    const lone = await runBin(['search', 'home', '--json', '--timeout', '1000', '--api', node.url], { env })
    assert.equal(lone.code, 0, lone.stderr)
    assert.deepEqual(lone.json().keywords, ['home'])
    const two = await runBin(['search', 'handwritten', 'digits', '--json', '--timeout', '1000', '--api', node.url], { env })
    assert.equal(two.code, 0, two.stderr)
    assert.deepEqual(two.json().keywords, ['handwritten', 'digits'])
    assert.deepEqual(two.json().results.map((r: any) => r.name), ['mnist'])
  })

  it('--marketplace wins over the first word', async () => {
    const run = await runBin(['search', 'home', 'handwritten', '--marketplace', 'home', '--json', '--timeout', '1000'], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(run.json().keywords, ['home', 'handwritten'])
  })
})
