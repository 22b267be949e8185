import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { generateFedData, startFedGrid } from './fixtures.js'
import type { FedGrid } from './fixtures.js'

/** The example's training, slowed down on one node (by peer ID) to hold a round open. */
function slowTrain (train: string): string {
  return train.replace(/ {4}commands:\n/, '    commands:\n      - if [ "$PAIP_NODE_ID" = "<% $parameters.slow %>" ]; then sleep <% $parameters.sleep %>; fi\n')
    .replace(/parameters:\n/, 'parameters:\n  slow: none\n  sleep: \'0\'\n')
}

/** The round deadline of the case that waits for it: long enough for the others' training on a loaded machine. */
const DEADLINE = 12_000

describe('fed: robust rounds', function () {
  this.timeout(240_000)
  let grid: FedGrid
  let data: string | undefined

  // the grids of these cases hold the same data: made once
  before(async () => { data = await generateFedData(4, 60) })
  after(async () => { if (data != null) await rm(data, { recursive: true, force: true }) })

  describe('cases that stop a node (a grid each)', () => {
    beforeEach(async () => { grid = await startFedGrid({ nodes: 4, data }) })
    afterEach(async () => { await grid?.stop() })

    for (const secure of [false, true]) {
      it(`leaves a worker that disappears mid-round out of that round and goes on with the others${secure ? ' (secure: its masks recovered from the survivors)' : ''}`, async () => {
        const [coordinator, , , victim] = grid.nodes
        const victimId = victim.node.components.peerId.toString()
        let stopping: Promise<void> | undefined
        victim.node.components.jobs.events.on('started', () => { stopping ??= victim.stop() })
        const fed = coordinator.node.components.fed
        const started = await fed.run({
          train: slowTrain(grid.train), aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 2, minNodes: 3, init: 'fedlr-init',
          parameters: { epochs: '2', slow: victimId, sleep: '30' }, secure, roundTimeout: 60_000
        })
        const run = await fed.wait(started.id, { signal: AbortSignal.timeout(200_000) })
        await stopping
        assert.equal(run.state, 'succeeded', run.reason)
        const first = run.history[0]
        assert.equal(first.workers.find(w => w.peer === victimId)?.state, 'dropped')
        assert.equal(first.workers.filter(w => w.state === 'ok').length, 3)
        assert.ok(run.history.every(r => r.workers.filter(w => w.state === 'ok').length === 3))
        const logs = (await fed.logs(run.id)).join('\n')
        assert.match(logs, new RegExp(`round 1: ${victimId} left out \\(dropped`))
        if (secure) assert.match(logs, /round 1: recovering the masks of 1 dropped worker\(s\) from 3 survivor\(s\)/)
      })
    }
  })

  // a slowed node's training job goes on after its round (to its time limit, or its sleep's end)
  // in one of the node's two job slots: the other cases still have a slot on every node
  describe('cases that leave every node running (one grid)', () => {
    before(async () => { grid = await startFedGrid({ nodes: 4, data }) })
    after(async () => { await grid?.stop() })

    it('leaves a worker slower than the round deadline out of the round', async () => {
      const [coordinator, slow] = grid.nodes
      const slowId = slow.node.components.peerId.toString()
      const fed = coordinator.node.components.fed
      const started = await fed.run({
        train: slowTrain(grid.train), aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 1, minNodes: 3, init: 'fedlr-init',
        parameters: { epochs: '2', slow: slowId, sleep: '120' }, roundTimeout: DEADLINE
      })
      const run = await fed.wait(started.id, { signal: AbortSignal.timeout(200_000) })
      assert.equal(run.state, 'succeeded', run.reason)
      const worker = run.history[0].workers.find(w => w.peer === slowId)
      assert.equal(worker?.state, 'dropped')
      assert.equal(worker?.reason, 'round deadline passed')
    })

    it('is cancelled from another node while a round runs', async () => {
      const [coordinator, other, slow] = grid.nodes
      const fed = coordinator.node.components.fed
      const started = await fed.run({
        train: slowTrain(grid.train), aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 3, minNodes: 4, init: 'fedlr-init',
        parameters: { epochs: '1', slow: slow.node.components.peerId.toString(), sleep: '60' }
      })
      await new Promise<void>(resolve => { slow.node.components.jobs.events.once('started', () => { resolve() }) })
      const cancelled = await other.node.components.fed.cancel(started.id)
      assert.equal(cancelled.state, 'cancelled')
      assert.equal((await fed.status(started.id)).state, 'cancelled')
      await assert.rejects(other.node.components.fed.cancel(started.id), { remoteName: 'FedRunEndedError' })
    })

    for (const secure of [false, true]) {
      it(`leaves out a worker whose update has another shape than the others'${secure ? ' (secure: checked on the masked vector)' : ''}`, async () => {
        const [coordinator, , odd] = grid.nodes
        const oddId = odd.node.components.peerId.toString()
        const train = grid.train.replace(/ {4}commands:\n/, '    commands:\n      - if [ "$PAIP_NODE_ID" = "<% $parameters.odd %>" ]; then echo \'{"samples":5,"weights":[1,2]}\' > "$PAIP_OUTPUT_DIR/update.json"; exit 0; fi\n')
          .replace(/parameters:\n/, 'parameters:\n  odd: none\n')
        const fed = coordinator.node.components.fed
        const started = await fed.run({ train, aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 1, minNodes: 3, init: 'fedlr-init', parameters: { epochs: '1', odd: oddId }, secure })
        const run = await fed.wait(started.id, { signal: AbortSignal.timeout(200_000) })
        assert.equal(run.state, 'succeeded', run.reason)
        const worker = run.history[0].workers.find(w => w.peer === oddId)
        assert.equal(worker?.state, 'dropped')
        assert.match(worker?.reason ?? '', secure ? /an update of 3 values, the others have 29/ : /an update of 2 values, the others have 28/)
      })
    }

    it('fails the run, with the reason, when fewer than --min-nodes workers answer', async () => {
      const fed = grid.nodes[0].node.components.fed
      const broken = grid.train.replace(/python3 .*/, 'exit 3')
      const started = await fed.run({ train: broken, aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 1, minNodes: 2, init: 'fedlr-init' })
      const run = await fed.wait(started.id, { signal: AbortSignal.timeout(200_000) })
      assert.equal(run.state, 'failed')
      assert.match(run.reason ?? '', /round 1: 0 update\(s\), 2 needed/)
    })
  })
})
