import assert from 'node:assert/strict'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fedlr, startFedGrid } from './fixtures.js'
import type { FedGrid } from './fixtures.js'
import type { FedRun } from '../../src/fed/index.js'

const ROUNDS = 10
const EPOCHS = 5

/** Evaluates a model version of node 0's catalog on the held-out test set. */
async function accuracyOf (grid: FedGrid, model: string): Promise<number> {
  const resolved = await grid.nodes[0].node.components.catalog.resolve('model', model)
  const file = resolved.files.find(f => f.path === 'model.json')
  assert.ok(file != null, 'the model version holds model.json')
  // blobs are named by CID: evaluate a copy named model.json
  const dir = await mkdtemp(path.join(tmpdir(), 'paip-fed-eval-'))
  try {
    await copyFile(file.blobPath, path.join(dir, 'model.json'))
    return (await fedlr(['evaluate', dir, path.join(grid.data, 'test')])).accuracy
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('fed: federated training on a 4-node grid', function () {
  this.timeout(300_000)
  let grid: FedGrid

  before(async () => { grid = await startFedGrid({ nodes: 4 }) })
  after(async () => { await grid?.stop() })

  for (const secure of [false, true]) {
    it(`reaches, after ${ROUNDS} rounds${secure ? ' with --secure' : ''}, an accuracy within 2 points of central training, and no dataset byte leaves its node`, async () => {
      const fed = grid.nodes[0].node.components.fed
      const started = await fed.run({
        train: grid.train, aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: ROUNDS, minNodes: 4, init: 'fedlr-init',
        parameters: { epochs: String(EPOCHS) }, secure, name: secure ? 'fedlr-secure' : 'fedlr-plain'
      })
      const run: FedRun = await fed.wait(started.id, { signal: AbortSignal.timeout(280_000) })
      if (run.state !== 'succeeded') console.log((await fed.logs(run.id)).join('\n'))
      assert.equal(run.state, 'succeeded', run.reason)
      assert.equal(run.history.length, ROUNDS)
      for (const round of run.history) {
        assert.equal(round.workers.filter(w => w.state === 'ok').length, 4)
        if (secure) assert.ok(round.workers.every(w => w.samples == null), 'a secure round never learns the workers\' sample counts')
      }
      const central = (await fedlr(['central', ...[0, 1, 2, 3].map(i => path.join(grid.data, `node${i}`)), '--test', path.join(grid.data, 'test'), '--epochs', String(ROUNDS * EPOCHS), '--model', path.join(grid.data, 'model')])).accuracy
      const federated = await accuracyOf(grid, run.model)
      console.log(`      federated ${(federated * 100).toFixed(2)}%  central ${(central * 100).toFixed(2)}%${secure ? '  (secure)' : ''}`)
      assert.ok(Math.abs(federated - central) <= 0.02, `federated ${federated} vs central ${central}`)
      const leaked = grid.served.flat().filter(cid => grid.datasetCids.has(cid))
      assert.deepEqual(leaked, [], 'no dataset blob was served to another node')
      assert.ok(grid.served.flat().length > 0, 'the workers fetched the model versions')
    })
  }
})
