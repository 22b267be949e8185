import assert from 'node:assert/strict'
import { spawnPaip } from '../repo/child.js'
import { EXAMPLE, startFedGrid } from './fixtures.js'
import type { FedGrid } from './fixtures.js'

describe('fed: `paip fed` through bin/paip', function () {
  this.timeout(120_000)
  let grid: FedGrid
  let id: string

  /** `paip <args> --home <node i>` as a user types it, in the example's directory. */
  async function cli (i: number, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
    return await spawnPaip(['--home', grid.nodes[i].home, ...args], EXAMPLE, 120_000).done
  }

  before(async () => { grid = await startFedGrid({ nodes: 3, samples: 60 }) })
  after(async () => { await grid?.stop() })

  it('`paip fed run ... --wait` trains over every holder of the tag and registers a model version per round', async () => {
    const run = await cli(0, ['--json', 'fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--min-nodes', '3', '--init', 'fedlr-init', '--param', 'epochs=2', '--name', 'clidemo', '--wait'])
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout)
    assert.match(run.stderr, /round 2: model clidemo-r2/)
    assert.equal(result.state, 'succeeded')
    assert.deepEqual(result.history.map((r: any) => r.modelName), ['clidemo-r1', 'clidemo-r2'])
    assert.ok(result.history.every((r: any) => r.workers.length === 3 && r.workers.every((w: any) => w.state === 'ok')))
    id = result.id
    const models = await grid.nodes[0].node.components.catalog.list('model')
    assert.ok(models.some(m => m.name === 'clidemo-r2' && m.manifest === result.model))
  })

  it('`paip fed status|logs` work from another node; `paip fed list` lists the run', async () => {
    const status = await cli(2, ['--json', 'fed', 'status', id])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(JSON.parse(status.stdout).coordinator, grid.nodes[0].node.components.peerId.toString())
    const text = await cli(1, ['fed', 'status', id])
    assert.match(text.stdout, /state: +succeeded/)
    const logs = await cli(1, ['fed', 'logs', id])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /round 2: model clidemo-r2/)
    const list = await cli(0, ['fed', 'list'])
    assert.match(list.stdout, new RegExp(`^${id}  succeeded  round 2/2`, 'm'))
  })

  it('refuses bad input with a clear error and exit code', async () => {
    const fraction = await cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init', '--fraction', '2'])
    assert.equal(fraction.code, 2)
    assert.match(fraction.stderr, /--fraction must be a number in \(0, 1\]/)
    const tag = await cli(0, ['fed', 'run', 'train.yaml', '--dataset', 'fedlr demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init'])
    assert.equal(tag.code, 2)
    assert.match(tag.stderr, /--dataset must be a tag/)
    const init = await cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'no-such-model'])
    assert.equal(init.code, 2)
    assert.match(init.stderr, /--init no-such-model: no such model/)
    const rounds = await cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', 'ten', '--init', 'fedlr-init'])
    assert.equal(rounds.code, 2)
    const missing = await cli(0, ['fed', 'run', 'nope.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read nope.yaml/)
    const unknown = await cli(1, ['fed', 'status', 'no-such-run'])
    assert.equal(unknown.code, 4)
    assert.match(unknown.stderr, /no federated run no-such-run/)
    const ended = await cli(1, ['fed', 'cancel', id])
    assert.equal(ended.code, 5)
    assert.match(ended.stderr, /has already ended/)
  })
})
