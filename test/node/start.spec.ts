import assert from 'node:assert/strict'
import { stat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('node: start and stop', () => {
  let node: TestNode | undefined

  afterEach(async () => { await node?.stop(); node = undefined })

  it('creates its home with an identity and token (0600), a commented config and the api file', async () => {
    node = await startNode()
    for (const file of ['identity.key', 'token']) {
      const info: { mode: number } = await stat(join(node.home, file))
      assert.equal(info.mode & 0o777, 0o600, `${file} mode`)
    }
    assert.match(await readFile(join(node.home, 'config.yaml'), 'utf8'), /^# paip node configuration/)
    assert.equal((await readFile(join(node.home, 'api'), 'utf8')).trim(), node.url)
    assert.ok(node.node.components.blobs != null, 'a blob store for the components')
  })

  it('answers the health check with its node ID, addresses, uptime, peers and version', async () => {
    node = await startNode()
    const health = await node.anonymous.get<any>('/health-check')
    assert.equal(health.status, 'ok')
    assert.equal(health['node-id'], node.node.components.peerId.toString())
    assert.ok(health['node-addresses'].length > 0)
    assert.equal(typeof health.uptime, 'number')
    assert.equal(health.peers, 0)
    assert.match(health.version, /^\d+\.\d+\.\d+/)
    const id = await node.anonymous.get<any>('/api/v1/id')
    assert.equal(id.peerId, health['node-id'])
  })
})
