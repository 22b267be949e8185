import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startNode } from '../fixtures/daemon.js'
import { CHECKOUT, runBin } from '../fixtures/bin.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('jobs: the example protocol the README runs (protocols/dataset-stats.yaml)', function () {
  this.timeout(120_000)
  let node: TestNode
  let dir: string

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-example-'))
    await fs.mkdir(path.join(dir, 'mnist-data', 'train'), { recursive: true })
    await fs.writeFile(path.join(dir, 'mnist-data', 'train', 'a.csv'), '1,2\n3,4\n')
    await fs.writeFile(path.join(dir, 'mnist-data', 'test.csv'), '5,6\n')
    node = await startNode()
  })
  after(async () => {
    await node?.stop()
    if (dir != null) await fs.rm(dir, { recursive: true, force: true })
  })

  it('runs offline next to the dataset and writes stats.json from $PAIP_DATASET_DIR', async () => {
    const paip = async (...args: string[]): Promise<any> => {
      const run = await runBin(['--home', node.home, ...args, '--json'], { cwd: CHECKOUT })
      assert.equal(run.code, 0, `paip ${args.join(' ')}: ${run.stderr}`)
      return run.json()
    }
    await paip('datasets', 'add', path.join(dir, 'mnist-data'), '--name', 'mnist', '--tags', '#mnist,#digits')
    const started = await paip('run', 'protocols/dataset-stats.yaml', '--dataset', '#mnist')
    const id = started.job?.id ?? started.id
    // polled over the node's API (a bin/paip per check would take the CPU from the job), then read once through bin/paip
    await until(async () => ['succeeded', 'failed', 'cancelled'].includes((await node.client.get<any>(`/api/v1/jobs/${encodeURIComponent(id)}`)).job.state), 60_000, 'the job to end', 250)
    const job = await paip('jobs', 'status', id)
    const state = job.state ?? job.job?.state
    const logs = await runBin(['--home', node.home, 'jobs', 'logs', id])
    assert.equal(state, 'succeeded', logs.stdout + logs.stderr)
    assert.match(logs.stdout, /dataset mnist: 2 file\(s\), 3 line\(s\), 12 byte\(s\)/)
    const results = await paip('jobs', 'results', id)
    const outputs = results.outputs ?? results
    assert.ok(outputs.some((o: any) => o.path === 'stats.json'), JSON.stringify(results))
  })
})
