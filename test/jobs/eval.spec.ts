import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { dhtRecordOptions, encodeRecord, signRecord } from '../../src/net/records.js'
import { createJobs } from '../../src/jobs/index.js'
import { createEvaluations, evalKey, evalRecords } from '../../src/jobs/eval/index.js'
import { startHostGrid, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import { localDataset, protocolYaml, resolverOf, workspace } from './fixtures.js'
import type { Evaluations } from '../../src/jobs/eval/index.js'
import type { Jobs } from '../../src/jobs/index.js'
import type { Host } from '../../src/net/host.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Bench } from './fixtures.js'

describe('jobs: evaluations', function () {
  this.timeout(90_000)
  const ns = evalRecords()
  let hosts: Host[] = []
  let keys: PrivateKey[] = []
  let spaces: Bench[] = []
  let nodes: Jobs[] = []
  let evals: Evaluations[] = []
  let counter: string

  /** A, B, C, D; C holds the dataset #MNIST and the model `lenet`; C lets A and B run jobs. */
  before(async () => {
    ({ hosts, keys } = await startHostGrid(4, { init: dhtRecordOptions(ns), peers: 2 }))
    spaces = await Promise.all(hosts.map(async () => await workspace()))
    counter = path.join(spaces[2].dir, 'evaluations-run')
    const mnist = await localDataset(spaces[2].dir, 'mnist', ['MNIST'], { 'test.csv': '1\n2\n3\n' }, 'bafkmnistcid')
    const lenet = await localDataset(spaces[2].dir, 'lenet', ['model'], {
      evaluate: `#!/bin/sh\necho "$PAIP_EVAL_CRITERIA" >> ${counter}\nsleep 0.5\necho '{"accuracy": 0.9, "rows": '$(wc -l < "$1/test.csv")'}' > "$2/result.json"\n`
    }, 'bafklenetcid')
    await fs.chmod(path.join(lenet.dir, 'evaluate'), 0o755)
    const C = hosts[2].peerId.toString()
    const holders = (ref: string): string[] => ['#MNIST', 'bafkmnistcid'].includes(ref) ? [C] : []
    nodes = hosts.map((host, i) => createJobs({
      db: spaces[i].db.sublevel('jobs') as any,
      blobs: spaces[i].blobs,
      datasets: resolverOf(i === 2 ? [mnist] : [], holders),
      models: resolverOf(i === 2 ? [lenet] : []),
      host
    }, { dir: path.join(spaces[i].dir, 'jobs'), env: { PATH: process.env.PATH }, runtime: 'process', allow: { peers: [hosts[0].peerId.toString(), hosts[1].peerId.toString()] } }))
    evals = hosts.map((host, i) => createEvaluations({ jobs: nodes[i], host, privateKey: keys[i], blobs: spaces[i].blobs }, { records: ns, lookupTimeout: 5000 }))
    for (const n of nodes) await n.start()
    for (const e of evals) await e.start()
  })

  after(async () => {
    await Promise.allSettled(evals.map(async e => { await e.stop() }))
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await stopHosts(hosts)
    await Promise.allSettled(spaces.map(async s => { await s.cleanup() }))
  })

  async function runs (): Promise<string[]> {
    return (await fs.readFile(counter, 'utf8').catch(() => '')).split('\n').filter(l => l !== '')
  }

  it('runs the same evaluation ordered from two nodes once', async () => {
    const [a, b] = evals
    const first = await a.order({ model: 'lenet', dataset: '#MNIST', criteria: ['accuracy'] })
    assert.equal(first.cached, false)
    assert.equal(first.node, hosts[2].peerId.toString())
    assert.equal(first.key, evalKey('bafklenetcid', 'bafkmnistcid', ['accuracy']))
    await until(async () => (await b.result(first.key).catch(() => undefined))?.state === 'succeeded', 30_000, 'the result record')
    const second = await b.order({ model: 'lenet', dataset: '#MNIST', criteria: ['ACCURACY'] })
    assert.equal(second.cached, true)
    assert.equal(second.key, first.key)
    assert.deepEqual(second.record?.metrics, { accuracy: 0.9, rows: 3 })
    assert.equal(second.record?.publisher, hosts[2].peerId.toString())
    assert.deepEqual(await runs(), ['accuracy'])
  })

  it('runs once when two nodes order it at the same time', async () => {
    const [a, b] = evals
    const [x, y] = await Promise.all([
      a.order({ model: 'lenet', dataset: '#MNIST', criteria: ['f1', 'accuracy'] }),
      b.order({ model: 'lenet', dataset: '#MNIST', criteria: ['accuracy,f1'] })
    ])
    assert.equal(x.key, y.key)
    assert.equal(x.job?.id, y.job?.id)
    await until(async () => (await a.result(x.key).catch(() => undefined))?.state === 'succeeded', 30_000, 'the result record')
    // accuracy is reused from the finished evaluation above: the evaluator is asked only for f1
    assert.deepEqual(await runs(), ['accuracy', 'f1'])
    assert.deepEqual((await b.result(x.key)).reused?.criteria, ['accuracy'])
  })

  it('reads a result from a node that neither ordered nor ran it', async () => {
    const key = evalKey('bafklenetcid', 'bafkmnistcid', ['accuracy'])
    const result = await evals[3].result(key)
    assert.equal(result.state, 'succeeded')
    assert.deepEqual(result.metrics, { accuracy: 0.9, rows: 3 })
    await assert.rejects(evals[3].result(evalKey('bafklenetcid', 'bafkmnistcid', ['never'])), { name: 'EvalNotFoundError' })
  })

  it('refuses an evaluation job whose key does not follow from its dataset, model and criteria', async () => {
    const key = evalKey('bafklenetcid', 'bafkmnistcid', ['fresh'])
    const C = hosts[2].peerId.toString()
    const protocol = protocolYaml(['echo \'{"accuracy": 1}\' > "$PAIP_OUTPUT_DIR/result.json"'])
    await assert.rejects(nodes[0].run({ id: `eval-${key}`, protocol, dataset: 'bafkmnistcid', model: 'bafklenetcid', evaluation: { key, model: 'bafklenetcid', dataset: 'bafkmnistcid', criteria: ['other'] }, node: C }), { name: 'InvalidJobError' })
    const other = evalKey('bafklenetcid', 'bafkmnistcid', ['other'])
    await assert.rejects(nodes[0].run({ id: `eval-${other}`, protocol, dataset: 'bafkmnistcid', evaluation: { key: other, model: 'bafklenetcid', dataset: 'bafkmnistcid', criteria: ['other'] }, node: C }), { name: 'InvalidJobError' })
  })

  it('rejects a forged evaluation record', async () => {
    const C = hosts[2].peerId.toString()
    const key = evalKey('bafklenetcid', 'bafkmnistcid', ['accuracy'])
    const forged = { key, model: 'bafklenetcid', dataset: 'bafkmnistcid', criteria: ['accuracy'], state: 'succeeded' as const, job: 'eval-x', node: C, metrics: { accuracy: 1 } }
    // signed by D, but put under C's name
    const byD = await signRecord(keys[3], { namespace: ns.namespace, name: key, seq: Date.now() + 1000, value: forged })
    const underC = ns.key(C, key)
    await assert.rejects(ns.validate(underC, encodeRecord(byD)), { name: 'InvalidRecordError' })
    // C's payload with D's signature
    const tampered = new TextEncoder().encode(JSON.stringify({ payload: byD.payloadText.replace(hosts[3].peerId.toString(), C), signature: Buffer.from(byD.signature).toString('base64url') }))
    await assert.rejects(ns.validate(underC, tampered), { name: 'InvalidRecordError' })
    // signed by D under D's own name, but the key does not follow from its contents
    const wrongKey = await signRecord(keys[3], { namespace: ns.namespace, name: key, seq: 1, value: { ...forged, criteria: ['other'] } })
    await assert.rejects(ns.validate(ns.key(hosts[3].peerId, key), encodeRecord(wrongKey)), { name: 'InvalidRecordError' })
    // D pushes the forgery into the DHT anyway: nobody stores it, readers still get C's result
    for await (const event of hosts[3].services.dht.put(underC, tampered, { signal: AbortSignal.timeout(5000) })) void event
    const result = await evals[0].result(key)
    assert.equal(result.publisher, C)
    assert.deepEqual(result.metrics, { accuracy: 0.9, rows: 3 })
  })
})
