import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pickWorkers } from '../../src/fed/coordinator.js'
import { createLocalRuns } from '../../src/fed/runs.js'
import { FedStore } from '../../src/fed/store.js'
import { decodeRequest } from '../../src/fed/wire.js'
import { parseUpdate, workerJobId } from '../../src/fed/worker.js'
import { removeDir, tempDir } from '../fixtures/temp.js'
import type { StoredFedRun } from '../../src/fed/types.js'

async function peer (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

describe('fed: rounds, updates and requests', () => {
  it('asks ceil(fraction x holders) workers, never fewer than --min-nodes, in an order fixed by run and round', () => {
    const holders = Array.from({ length: 10 }, (_, i) => `peer-${i}`)
    assert.equal(pickWorkers(holders, 'run', 1, 0.25, 1).length, 3)
    assert.equal(pickWorkers(holders, 'run', 1, 0.1, 4).length, 4)
    assert.equal(pickWorkers(holders, 'run', 1, 1, 1).length, 10)
    assert.deepEqual(pickWorkers(holders, 'run', 1, 0.5, 1), pickWorkers([...holders].reverse(), 'run', 1, 0.5, 1))
    const rounds = new Set(Array.from({ length: 8 }, (_, r) => pickWorkers(holders, 'run', r + 1, 0.3, 1).join()))
    assert.ok(rounds.size > 1, 'other rounds ask other workers')
  })

  it('accepts an update of positive integer samples and finite weights, and refuses anything else', () => {
    const ok = parseUpdate(Buffer.from('{"samples": 3, "weights": [0.5, -1]}'))
    assert.deepEqual(ok, { samples: 3, weights: [0.5, -1] })
    for (const bad of ['nope', '{"samples": 0, "weights": [1]}', '{"samples": 1.5, "weights": [1]}', '{"samples": 2, "weights": []}',
      '{"samples": 2, "weights": [1, "2"]}', '{"samples": 2, "weights": [1e999]}', '{"samples": 2}']) {
      assert.throws(() => parseUpdate(Buffer.from(bad)), { name: 'BadUpdateError' }, bad)
    }
    assert.throws(() => parseUpdate(Buffer.from('{"samples": 3, "weights": [1, 2]}'), 3), { name: 'BadUpdateError' })
  })

  it('gives another coordinator reusing a run ID other job IDs on a worker (it never gets the first one\'s update)', async () => {
    const [a, b] = [await peer(), await peer()]
    assert.notEqual(workerJobId(a, 'run-1', 1, 1), workerJobId(b, 'run-1', 1, 1))
    assert.match(workerJobId(a, 'run-1', 1, 1), /^fed-[0-9a-f]{24}-r1\.1$/)
  })

  it('refuses malformed requests from a peer before doing anything', async () => {
    const p = await peer()
    const train = { op: 'train', run: 'r', round: 1, attempt: 1, protocol: 'x', dataset: '#a', model: 'm', timeLimit: 1000 }
    assert.equal(decodeRequest(train).op, 'train')
    for (const bad of [
      { ...train, run: '../../etc' },
      { ...train, round: 0 },
      { ...train, attempt: 1001 },
      { ...train, timeLimit: -1 },
      { ...train, parameters: { a: 1 } },
      { ...train, keys: Array.from({ length: 300 }, () => ({ peer: p, publicKey: 'x', signature: 'y' })) },
      { ...train, keys: [{ peer: 'not-a-peer', publicKey: 'x', signature: 'y' }] },
      { op: 'unmask', run: 'r', round: 1, attempt: 1, dropped: ['nope'] },
      { op: 'status', id: 'a b' },
      { op: 'delete-everything' },
      null
    ]) {
      assert.throws(() => decodeRequest(bad), Error, JSON.stringify(bad)?.slice(0, 80))
    }
  })

  it('ends a wait on a run driven here when the wait\'s signal aborts, and the run goes on until cancelled', async () => {
    const dir = await tempDir('paip-fed-runs-')
    const db = new Level<string, any>(dir, { valueEncoding: 'json' })
    try {
      // a coordinator whose round never ends by itself (a worker that never answers, a loaded machine)
      const runs = createLocalRuns({ store: new FedStore(db), coordinator: { drive: async (_run, signal) => await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) }) } })
      const run = { id: 'stuck', state: 'running', coordinator: 'self', name: 'stuck', dataset: '#x', rounds: 1, minNodes: 1, fraction: 1, secure: false, roundTimeout: 60_000, parameters: {}, init: 'm', model: 'm', round: 1, history: [], createdAt: 0, updatedAt: 0, train: '', aggregate: '' } as StoredFedRun
      await new FedStore(db).put(run)
      const shutdown = new AbortController()
      const done = runs.launch(run, shutdown.signal)
      await assert.rejects(runs.wait('stuck', { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' })
      assert.equal((await runs.get('stuck')).state, 'running')
      assert.equal((await runs.cancel('stuck')).state, 'cancelled')
      assert.equal((await done).state, 'cancelled')
      shutdown.abort()
    } finally {
      await db.close()
      await removeDir(dir)
    }
  })
})
