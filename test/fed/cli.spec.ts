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
    // independent commands: spawned at once
    const [status, text, logs, list] = await Promise.all([
      cli(2, ['--json', 'fed', 'status', id]), cli(1, ['fed', 'status', id]), cli(1, ['fed', 'logs', id]), cli(0, ['fed', 'list'])
    ])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(JSON.parse(status.stdout).coordinator, grid.nodes[0].node.components.peerId.toString())
    assert.match(text.stdout, /state: +succeeded/)
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /round 2: model clidemo-r2/)
    assert.match(list.stdout, new RegExp(`^${id}  succeeded  round 2/2`, 'm'))
  })

  it('refuses bad input with a clear error and exit code', async () => {
    // independent commands: spawned at once
    const [fraction, tag, init, rounds, missing, unknown, ended] = await Promise.all([
      cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init', '--fraction', '2']),
      cli(0, ['fed', 'run', 'train.yaml', '--dataset', 'fedlr demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init']),
      cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'no-such-model']),
      cli(0, ['fed', 'run', 'train.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', 'ten', '--init', 'fedlr-init']),
      cli(0, ['fed', 'run', 'nope.yaml', '--dataset', '#fedlr-demo', '--aggregate', 'fedavg.yaml', '--rounds', '2', '--init', 'fedlr-init']),
      cli(1, ['fed', 'status', 'no-such-run']),
      cli(1, ['fed', 'cancel', id])
    ])
    assert.equal(fraction.code, 2)
    assert.match(fraction.stderr, /--fraction must be a number in \(0, 1\]/)
    assert.equal(tag.code, 2)
    assert.match(tag.stderr, /--dataset must be a tag/)
    assert.equal(init.code, 2)
    assert.match(init.stderr, /--init no-such-model: no such model/)
    assert.equal(rounds.code, 2)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read nope.yaml/)
    assert.equal(unknown.code, 4)
    assert.match(unknown.stderr, /no federated run no-such-run/)
    assert.equal(ended.code, 5)
    assert.match(ended.stderr, /has already ended/)
  })
})
