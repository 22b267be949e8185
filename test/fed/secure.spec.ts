import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { jobsClient } from '../../src/jobs/wire.js'
import { decode, encode, maskUpdate, newKeyPair, pairSeed, signKey, unmaskSum, verifyKey } from '../../src/fed/secure.js'
import { workerJobId } from '../../src/fed/worker.js'
import { startFedGrid } from './fixtures.js'
import type { FedGrid } from './fixtures.js'
import type { SignedFedKey } from '../../src/fed/secure.js'

interface Party { peer: string, pair: ReturnType<typeof newKeyPair>, key: SignedFedKey }

async function parties (n: number, run = 'run-1', step = '1.1'): Promise<Party[]> {
  return await Promise.all(Array.from({ length: n }, async () => {
    const identity = await generateKeyPair('Ed25519')
    const peer = peerIdFromPrivateKey(identity).toString()
    const pair = newKeyPair()
    return { peer, pair, key: await signKey(identity, peer, run, step, pair) }
  }))
}

const close = (a: number[], b: number[]): void => {
  assert.equal(a.length, b.length)
  a.forEach((v, i) => { assert.ok(Math.abs(v - b[i]) < 1e-5, `${v} vs ${b[i]} at ${i}`) })
}

describe('fed: secure aggregation', () => {
  const updates = [
    { samples: 10, weights: [0.5, -1.25, 3] },
    { samples: 30, weights: [1.5, 0.75, -2] },
    { samples: 20, weights: [-0.5, 0, 1] }
  ]
  const mean = (list: typeof updates): number[] => {
    const total = list.reduce((n, u) => n + u.samples, 0)
    return list[0].weights.map((_, i) => list.reduce((s, u) => s + u.samples * u.weights[i], 0) / total)
  }

  it('fixed point in the ring round-trips negative and positive values', () => {
    close(decode(encode([-3.5, 0, 2.25, -1e-6, 12345.678])), [-3.5, 0, 2.25, 0, 12345.678])
  })

  it('masks cancel in the sum: the coordinator gets the weighted mean and the total samples, nothing per worker', async () => {
    const ps = await parties(3)
    const keys = ps.map(p => p.key)
    const masked = ps.map((p, i) => maskUpdate(updates[i].weights, updates[i].samples, p.pair, p.peer, keys, 'run-1', '1.1'))
    for (const [i, m] of masked.entries()) {
      const plain = encode([...updates[i].weights.map(w => w * updates[i].samples), updates[i].samples])
      assert.ok(m.every((v, j) => v !== plain[j]), 'a masked update shows none of its values')
    }
    const total = unmaskSum(masked, [])
    assert.equal(total.samples, 60)
    close(total.weights, mean(updates))
  })

  it('recovers the sum of the survivors when a worker drops out after the keys were handed out', async () => {
    const ps = await parties(3)
    const keys = ps.map(p => p.key)
    const survivors = [0, 2]
    const masked = survivors.map(i => maskUpdate(updates[i].weights, updates[i].samples, ps[i].pair, ps[i].peer, keys, 'run-1', '1.1'))
    let cancelled = false
    try { cancelled = Math.abs(unmaskSum(masked, []).samples - 30) < 1 } catch { /* garbage: no samples */ }
    assert.equal(cancelled, false, 'without the dropped worker\'s seeds the masks do not cancel')
    const revealed = survivors.map(i => ({ survivor: ps[i].peer, dropped: ps[1].peer, seed: pairSeed(ps[i].pair, ps[i].peer, ps[1].key, 'run-1', '1.1') }))
    const total = unmaskSum(masked, revealed)
    assert.equal(total.samples, 30)
    close(total.weights, mean([updates[0], updates[2]]))
  })

  it('both ends of a pair derive the same seed; a third party cannot', async () => {
    const [a, b, c] = await parties(3)
    assert.deepEqual(pairSeed(a.pair, a.peer, b.key, 'run-1', '1.1'), pairSeed(b.pair, b.peer, a.key, 'run-1', '1.1'))
    assert.notDeepEqual(pairSeed(c.pair, c.peer, b.key, 'run-1', '1.1'), pairSeed(a.pair, a.peer, b.key, 'run-1', '1.1'))
  })

  it('refuses a round key not signed by the node it names, or signed for another round', async () => {
    const [a, b] = await parties(2)
    await verifyKey(a.key, 'run-1', '1.1')
    await assert.rejects(verifyKey({ ...a.key, peer: b.peer }, 'run-1', '1.1'), { name: 'BadFedKeyError' })
    await assert.rejects(verifyKey({ ...a.key, publicKey: b.key.publicKey }, 'run-1', '1.1'), { name: 'BadFedKeyError' })
    await assert.rejects(verifyKey(a.key, 'run-1', '2.1'), { name: 'BadFedKeyError' })
    await assert.rejects(verifyKey(a.key, 'run-2', '1.1'), { name: 'BadFedKeyError' })
  })
})

describe('fed: what a coordinator may not do', function () {
  this.timeout(120_000)
  let grid: FedGrid

  // node 2 lets nobody else coordinate rounds on its data
  before(async () => { grid = await startFedGrid({ nodes: 3, samples: 40, node: i => i === 2 ? { config: { fed: { allowPeers: [] } } } : {} }) })
  after(async () => { await grid?.stop() })

  it('is refused by a holder that does not allow it, and never reads a worker\'s raw update through the jobs protocol', async () => {
    const [coordinator, worker, closed] = grid.nodes
    const fed = coordinator.node.components.fed
    const started = await fed.run({ train: grid.train, aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: 1, minNodes: 2, init: 'fedlr-init', parameters: { epochs: '1' }, secure: true })
    const run = await fed.wait(started.id, { signal: AbortSignal.timeout(100_000) })
    assert.equal(run.state, 'succeeded', run.reason)
    const refused = run.history[0].workers.find(w => w.peer === closed.node.components.peerId.toString())
    assert.equal(refused?.state, 'refused')
    assert.match(refused?.reason ?? '', /may not run federated rounds on this node/)
    // the worker ran the training as its own job: the coordinator cannot see it or its update.json
    const self = coordinator.node.components.peerId.toString()
    const jobId = workerJobId(self, run.id, 1, 1)
    assert.equal((await worker.node.components.jobs.status(jobId)).state, 'succeeded')
    const client = jobsClient(coordinator.node.components.host)
    await assert.rejects(client.status(worker.node.components.peerId.toString(), jobId), { remoteName: 'JobNotFoundError' })
  })
})
