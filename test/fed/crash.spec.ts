import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startTestbed } from '../../src/testbed/index.js'
import { paip } from '../fixtures/cli.js'
import { replayable } from '../fixtures/seed.js'
import { until } from '../fixtures/wait.js'
import { EXAMPLE, TAG, fedlr } from './fixtures.js'
import type { FedRun } from '../../src/fed/index.js'
import type { Testbed } from '../../src/testbed/index.js'

describe('fed: a coordinator killed with SIGKILL', function () {
  this.timeout(300_000)
  // after how many finished rounds the coordinator is killed comes from this seed (PAIP_TEST_SEED replays it)
  const seed = replayable(this)
  let testbed: Testbed | undefined
  let data: string

  before(async () => {
    data = await mkdtemp(path.join(tmpdir(), 'paip-fed-crash-'))
    await fedlr(['generate', data, '--nodes', '3', '--samples', '60'])
    testbed = await startTestbed({ nodes: 3, env: { PAIP_FED_ALLOW_PEERS: '*' } })
    for (const [i, node] of testbed.nodes.entries()) {
      const added = await paip(['--home', node.home, 'datasets', 'add', path.join(data, `node${i}`), '--name', `part-${i}`, '--tags', TAG])
      assert.equal(added.code, 0, added.stderr)
    }
    const model = await paip(['--home', testbed.nodes[0].home, 'models', 'add', path.join(data, 'model'), '--name', 'fedlr-init', '--tags', '#fedlr', '--framework', 'python', '--task', 'classification', '--public'])
    assert.equal(model.code, 0, model.stderr)
  })

  after(async () => {
    await testbed?.stop()
    await rm(data, { recursive: true, force: true })
  })

  it(`resumes the run at the round it was in after a restart, and every round is registered once (seed ${seed.seed})`, async () => {
    const finished = seed.int(1, 2)
    const [coordinator, other] = (testbed as Testbed).nodes
    const body = {
      id: 'crash-run',
      train: await readFile(path.join(EXAMPLE, 'train.yaml'), 'utf8'),
      aggregate: await readFile(path.join(EXAMPLE, 'fedavg.yaml'), 'utf8'),
      dataset: TAG,
      rounds: 4,
      minNodes: 2,
      init: 'fedlr-init',
      name: 'crashdemo',
      parameters: { epochs: '2' }
    }
    await coordinator.client.post('/api/v1/fed', body)
    let killedIn = 0
    await until(async () => {
      const { run } = await coordinator.client.get<{ run: FedRun }>('/api/v1/fed/crash-run')
      killedIn = run.round
      return run.history.length >= finished && run.state === 'running'
    }, 120_000, `round ${finished} to end`)
    await coordinator.kill('SIGKILL')
    await coordinator.restart()
    let run: FedRun | undefined
    await until(async () => {
      run = (await other.client.get<{ run: FedRun }>('/api/v1/fed/crash-run')).run
      return run.state !== 'running'
    }, 240_000, 'the resumed run to end (asked from another node)')
    const done = run as FedRun
    assert.equal(done.state, 'succeeded', done.reason)
    assert.deepEqual(done.history.map(r => r.round), [1, 2, 3, 4])
    const logs = (await other.client.get<{ lines: string[] }>('/api/v1/fed/crash-run/logs')).lines.join('\n')
    assert.match(logs, new RegExp(`coordinator restarted: resuming at round ${killedIn}`))
    const { models } = await coordinator.client.get<{ models: Array<{ name: string }> }>('/api/v1/models')
    const names = models.map(m => m.name).filter(n => n.startsWith('crashdemo-'))
    assert.deepEqual(names.sort(), ['crashdemo-r1', 'crashdemo-r2', 'crashdemo-r3', 'crashdemo-r4'])
  })
})
