import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import { spawnPaip } from '../repo/child.js'
import { protocolYaml } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'

/** `paip <args>` through the real bin/paip, as the node's operator types it. */
async function paip (node: TestNode, args: string[], cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await spawnPaip([...args, '--api', node.url], cwd, 60_000, { PAIP_HOME: node.home }).done
}

describe('jobs runtime on a node: status, job limits and the home out of reach', function () {
  this.timeout(120_000)
  let node: TestNode
  let work: string

  before(async () => {
    node = await startNode()
    work = path.join(node.home, '..', `${path.basename(node.home)}-work`)
    await fs.mkdir(work, { recursive: true })
  })
  after(async () => {
    await node?.stop()
    if (work != null) await fs.rm(work, { recursive: true, force: true })
  })

  it('paip status reports where the node runs jobs', async () => {
    const status = await paip(node, ['status'], work)
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /jobs run: +sandbox/)
    assert.match(status.stdout, /runtimes: .*sandbox \(.*bwrap\)/)
  })

  it('paip jobs status shows the runtime and the limits; a job reading four directories up finds no token', async () => {
    const token = (await fs.readFile(path.join(node.home, 'token'), 'utf8')).trim()
    const commands = ['cat "$PAIP_WORK_DIR/../../../../token" "$PAIP_WORK_DIR/../../../token" || true', `cat ${node.home}/token || true`, 'echo done']
    await fs.writeFile(path.join(work, 'thief.yaml'), protocolYaml(commands).replace('memoryMB: 512', 'memoryMB: 100'))
    const run = await paip(node, ['run', 'thief.yaml', '--id', 'thief-1'], work)
    assert.equal(run.code, 0, run.stderr)
    let status = { code: null as number | null, stdout: '', stderr: '' }
    await until(async () => {
      status = await paip(node, ['jobs', 'status', 'thief-1'], work)
      return /state: +(succeeded|failed)/.test(status.stdout)
    }, 60_000, 'the job to end')
    assert.match(status.stdout, /state: +succeeded/)
    assert.match(status.stdout, /runtime: +sandbox/)
    assert.match(status.stdout, /limits: +memory 100 MB, CPU 1, processes 1024, network none/)
    const logs = await paip(node, ['jobs', 'logs', 'thief-1'], work)
    assert.match(logs.stdout, /done/)
    assert.ok(!logs.stdout.includes(token) && !logs.stderr.includes(token), 'the admin token leaked into the log')
  })
})
