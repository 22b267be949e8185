import assert from 'node:assert/strict'
import path from 'node:path'
import { JOB_DATA_PROTOCOL } from '../../src/jobs/constants.js'
import { createJobs } from '../../src/jobs/index.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import { collect, localDataset, protocolYaml, resolverOf, workspace } from './fixtures.js'
import type { Jobs, JobsInit, LocalContent } from '../../src/jobs/index.js'
import type { Host } from '../../src/net/host.js'
import type { Bench } from './fixtures.js'

describe('jobs dispatch between nodes', function () {
  this.timeout(60_000)
  let hosts: Host[] = []
  let spaces: Bench[] = []
  let nodes: Jobs[] = []
  let mnist: LocalContent

  /**
   * A, B, C and D on loopback; C holds #MNIST; C and D hold #SHARED (D has more free slots);
   * B and C let A and B run jobs, D only B.
   */
  before(async () => {
    hosts = await startHosts(4)
    spaces = await Promise.all(hosts.map(async () => await workspace()))
    mnist = await localDataset(spaces[2].dir, 'mnist', ['MNIST'], { 'train.csv': '7,8,9\n' })
    const sharedC = await localDataset(spaces[2].dir, 'shared', ['SHARED'])
    const sharedD = await localDataset(spaces[3].dir, 'shared', ['SHARED'])
    const holders = (ref: string): string[] => {
      if (ref === '#MNIST' || ref === 'mnist') return [hosts[2].peerId.toString()]
      if (ref === '#SHARED') return [hosts[2].peerId.toString(), hosts[3].peerId.toString()]
      return []
    }
    nodes = hosts.map((host, i) => {
      const init: JobsInit = { dir: path.join(spaces[i].dir, 'jobs'), slots: i === 3 ? 4 : 2, env: { PATH: process.env.PATH }, offerTimeout: 3000 }
      if (i > 0) init.allow = { peers: i === 3 ? [hosts[1].peerId.toString()] : [hosts[0].peerId.toString(), hosts[1].peerId.toString()] }
      return createJobs({
        db: spaces[i].db.sublevel('jobs') as any,
        blobs: spaces[i].blobs,
        datasets: resolverOf(i === 2 ? [mnist, sharedC] : i === 3 ? [sharedD] : [], holders),
        host
      }, init)
    })
    await Promise.all(nodes.map(async n => { await n.start() }))
    // holders are given by peer ID here (the catalog's search also brings their addresses)
    for (const x of hosts) for (const y of hosts) if (x !== y) await x.dial(y.getMultiaddrs()[0])
  })

  after(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await stopHosts(hosts)
    await Promise.allSettled(spaces.map(async s => { await s.cleanup() }))
  })

  it('sends a job from A to C, which holds #MNIST, and A reads its logs and results', async () => {
    const [a, , c] = nodes
    const protocol = protocolYaml(['echo "on $PAIP_NODE_ID"', 'wc -l < "$PAIP_DATASET_DIR/train.csv" > "$PAIP_OUTPUT_DIR/count.txt"'])
    const sent = await a.run({ id: 'remote-1', protocol, dataset: '#MNIST', user: 'alice' })
    assert.equal(sent.node, hosts[2].peerId.toString())
    assert.match(sent.reason, /holds #MNIST/)
    assert.equal(sent.duplicate, false)
    await until(async () => (await a.status('remote-1')).state === 'succeeded', 20_000, 'the job to succeed on C')
    const job = await c.status('remote-1')
    assert.equal(job.submitter.peer, hosts[0].peerId.toString())
    assert.equal(job.submitter.user, 'alice')
    const log = await collect(a.logs('remote-1'))
    assert.match(log, new RegExp(`on ${hosts[2].peerId.toString()}`))
    const outputs = await a.results('remote-1')
    assert.deepEqual(outputs.map(o => o.path), ['count.txt'])
    assert.equal((await collect(a.output('remote-1', outputs[0].cid))).trim(), '1')
    const listed = await a.list()
    assert.ok(listed.some(j => j.id === 'remote-1' && j.node === hosts[2].peerId.toString()))
    // a retry with the same ID after a lost answer starts nothing new
    const again = await a.run({ id: 'remote-1', protocol, dataset: '#MNIST', user: 'alice' })
    assert.equal(again.duplicate, true)
    assert.equal(again.job.state, 'succeeded')
  })

  it('follows the logs of a remote job live and cancels it mid-run', async () => {
    const [a, , c] = nodes
    const protocol = protocolYaml(['i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'])
    await a.run({ id: 'remote-2', protocol, dataset: '#MNIST' })
    const seen: string[] = []
    const follow = (async () => {
      for await (const chunk of a.logs('remote-2', { follow: true, signal: AbortSignal.timeout(20_000) })) seen.push(Buffer.from(chunk).toString())
    })()
    await until(() => seen.join('').includes('tick 3'), 10_000, 'live log lines')
    const cancelled = await a.cancel('remote-2')
    assert.equal(cancelled.state, 'cancelled')
    await follow // the follow ends when the job does
    assert.equal((await c.status('remote-2')).state, 'cancelled')
  })

  it('stops the remote log stream as soon as a follower stops reading early', async () => {
    const [a] = nodes
    const protocol = protocolYaml(['i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'])
    await a.run({ id: 'remote-early', protocol, dataset: '#MNIST' })
    const logStreams = (host: Host): number => host.getConnections()
      .flatMap(c => c.streams).filter(s => s.protocol === JOB_DATA_PROTOCOL && s.status === 'open').length
    for await (const chunk of a.logs('remote-early', { follow: true, signal: AbortSignal.timeout(20_000) })) {
      assert.equal(logStreams(hosts[2]), 1, 'C serves the followed log')
      if (Buffer.from(chunk).toString().includes('tick 2')) break
    }
    // C would otherwise keep writing ticks into the stream until its follow timeout
    await until(() => logStreams(hosts[2]) === 0 && logStreams(hosts[0]) === 0, 10_000, 'the log stream to end on both sides')
    assert.equal((await a.cancel('remote-early')).state, 'cancelled')
  })

  it('refuses a job from a peer not allowed to run jobs', async () => {
    const d = nodes[3]
    await assert.rejects(d.run({ id: 'from-d', protocol: protocolYaml(['true']), dataset: '#MNIST' }), { name: 'JobNotAllowedError' })
  })

  it('tries the next holder when the best one refuses the job', async () => {
    const [a] = nodes
    const sent = await a.run({ id: 'shared-1', protocol: protocolYaml(['true']), dataset: '#SHARED' })
    assert.equal(sent.node, hosts[2].peerId.toString())
    assert.match(sent.reason, /refused it/)
    assert.equal(sent.offers.find(o => o.peer === hosts[3].peerId.toString())?.free, 4)
    await until(async () => (await a.status('shared-1')).state === 'succeeded', 10_000, 'the job on C')
  })

  it('lets another allowed node, which did not submit the job, find it on the DHT and read it', async () => {
    const [a, b] = nodes
    await a.run({ id: 'found-by-b', protocol: protocolYaml(['echo seen by b']), dataset: '#MNIST' })
    await until(async () => (await a.status('found-by-b')).state === 'succeeded', 10_000, 'the job')
    let where = ''
    await until(async () => { where = await b.locate('found-by-b').catch(() => ''); return where !== '' }, 20_000, 'B to find the job')
    assert.equal(where, hosts[2].peerId.toString())
    assert.equal((await b.status('found-by-b')).state, 'succeeded')
    assert.equal(await collect(b.logs('found-by-b')), 'seen by b\n')
    await assert.rejects(nodes[3].status('found-by-b'), { name: 'JobNotFoundError' })
  })

  it('refuses a job naming a dataset the chosen node does not hold, and finds no holder of an unknown one', async () => {
    const [a] = nodes
    await assert.rejects(a.run({ id: 'wrong-node', protocol: protocolYaml(['true']), dataset: '#MNIST', node: hosts[1].peerId.toString() }), { name: 'DatasetNotHeldError' })
    await assert.rejects(a.run({ id: 'nobody', protocol: protocolYaml(['true']), dataset: '#IMAGENET' }), { name: 'NoCandidateError' })
  })

  it('refuses an invalid protocol sent over the wire', async () => {
    const [a] = nodes
    await assert.rejects(a.run({ id: 'bad-remote', protocol: 'taskRoles: [', dataset: '#MNIST' }), { name: 'JobProtocolInvalidError' })
  })
})
