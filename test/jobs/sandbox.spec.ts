import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createJobs } from '../../src/jobs/index.js'
import { until } from '../fixtures/wait.js'
import { collect, jobEnded, localDataset, protocolYaml, resolverOf, workspace } from './fixtures.js'
import type { Job, Jobs, JobsInit } from '../../src/jobs/index.js'
import type { Bench } from './fixtures.js'

const SELF = '12D3KooWSelfNodeForSandboxTests'
/** A user of the node who is not its admin. */
const MALLORY = { peer: SELF, user: 'mallory' }
const TOKEN = 'admin-token-7f3a9c1e5b'
const KEY = 'ed25519-private-key-material-41d2'

/** Processes on this machine whose command line contains `marker`. */
async function processesWith (marker: string): Promise<number[]> {
  const found: number[] = []
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    if (cmdline.replaceAll('\0', ' ').includes(marker) && !/^\d+ \(.*\) Z/.test(stat)) found.push(Number(entry))
  }
  return found
}

describe('jobs sandbox: a job from a stranger cannot touch the node', function () {
  this.timeout(60_000)
  let ws: Bench
  let jobs: Jobs
  let home: string

  /** A node home laid out as the daemon's: token and key next to `jobs/`. */
  async function open (init: Partial<JobsInit> = {}): Promise<Jobs> {
    home = path.join(ws.dir, 'home')
    await fs.mkdir(home, { recursive: true })
    await fs.writeFile(path.join(home, 'admin.token'), TOKEN, { mode: 0o600 })
    await fs.writeFile(path.join(home, 'identity.key'), KEY, { mode: 0o600 })
    const mnist = await localDataset(ws.dir, 'mnist', ['MNIST'], { 'train.csv': '1,2,3\n' })
    const other = await localDataset(ws.dir, 'private', ['PRIVATE'], { 'secret.csv': 'other-dataset-row\n' })
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: resolverOf([mnist, other]), peerId: SELF },
      { dir: path.join(home, 'jobs'), env: { PATH: process.env.PATH }, runtime: 'sandbox', ...init })
    await jobs.start()
    return jobs
  }

  const finished = async (id: string, ms = 40_000): Promise<Job> => await jobEnded(jobs, id, ms)

  beforeEach(async () => { ws = await workspace() })
  afterEach(async () => {
    await jobs?.stop()
    await ws.cleanup()
  })

  it('runs a non-admin job in the sandbox by default (auto) and shows the runtime and limits', async () => {
    // no container engine here: auto picks the sandbox even though the protocol names an image
    await open({ runtime: 'auto', engine: '/nonexistent/podman' })
    assert.equal(jobs.runtimes().default, 'sandbox')
    const { job } = await jobs.submit({ id: 'plain', protocol: protocolYaml(['echo "runtime=$PAIP_RUNTIME" && cat "$PAIP_DATASET_DIR/train.csv" && echo hi > "$PAIP_OUTPUT_DIR/o.txt"']), dataset: '#MNIST' }, MALLORY)
    assert.equal(job.runtime, 'sandbox')
    assert.equal(job.limits?.memoryMB, 512)
    const done = await finished('plain')
    const log = await collect(jobs.logs('plain'))
    assert.equal(done.state, 'succeeded', log)
    assert.match(log, /runtime=sandbox/)
    assert.match(log, /1,2,3/)
    assert.deepEqual(done.outputs.map(o => o.path), ['o.txt'])
  })

  it('a job hunting for the admin token and the identity key prints nothing of the home', async () => {
    await open()
    const hunt = [
      'cat "$PAIP_WORK_DIR/../../../../admin.token" "$PAIP_WORK_DIR/../../../../identity.key"',
      `cat ${home}/admin.token ${home}/identity.key`,
      'find / -name admin.token -o -name identity.key -o -name secret.csv 2>/dev/null | xargs -r cat',
      'cat /proc/1/environ /proc/*/environ 2>/dev/null | tr "\\0" "\\n"',
      'env',
      'ls -la / /paip',
      `ls ${ws.dir} 2>/dev/null`,
      'echo hunted'
    ]
    await jobs.submit({ id: 'thief', protocol: protocolYaml(hunt.map(c => `${c} || true`)), dataset: '#MNIST' }, MALLORY)
    const done = await finished('thief')
    const log = await collect(jobs.logs('thief'))
    assert.equal(done.state, 'succeeded', log)
    assert.match(log, /hunted/)
    assert.doesNotMatch(log, new RegExp(TOKEN))
    assert.doesNotMatch(log, new RegExp(KEY))
    assert.doesNotMatch(log, /other-dataset-row/)
  })

  it('a job has no network by default', async () => {
    await open()
    await jobs.submit({ id: 'net', protocol: protocolYaml(['cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "']) }, MALLORY)
    const done = await finished('net')
    const log = await collect(jobs.logs('net'))
    assert.equal(done.state, 'succeeded', log)
    assert.deepEqual(log.trim().split('\n'), ['lo'])
  })

  it('a protocol can ask for less network than the node opens, never more', async () => {
    await open({ network: 'host' })
    const ask = (mode: string): string => protocolYaml(['cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "']) + `extras:\n  paip:\n    network: ${mode}\n`
    const { job } = await jobs.submit({ id: 'asks-none', protocol: ask('none') }, MALLORY)
    assert.equal(job.limits?.network, 'none')
    const done = await finished('asks-none')
    assert.deepEqual((await collect(jobs.logs('asks-none'))).trim().split('\n'), ['lo'], done.reason)
    await jobs.stop()
    await open({ network: 'none' })
    const more = await jobs.submit({ id: 'asks-host', protocol: ask('host') }, MALLORY)
    assert.equal(more.job.limits?.network, 'none')
  })

  it('`setsid sleep 1000 &` and a double fork leave no survivor when the job ends', async () => {
    await open()
    const marker = `1000.${process.pid}`
    await jobs.submit({ id: 'escape', protocol: protocolYaml([`setsid sleep ${marker} & (setsid sh -c 'sleep ${marker}1 &' &) ; sleep 0.2; echo escaped`]) }, MALLORY)
    const done = await finished('escape')
    assert.equal(done.state, 'succeeded', await collect(jobs.logs('escape')))
    await until(async () => (await processesWith(`sleep ${marker}`)).length === 0, 10_000, 'the escapees to be gone')
  })

  it('cancel and the time limit kill every process of the job', async () => {
    await open()
    const marker = `1000.${process.pid}2`
    await jobs.submit({ id: 'cancelme', protocol: protocolYaml([`setsid sleep ${marker} & sleep ${marker}`]) }, MALLORY)
    await until(async () => (await processesWith(`sleep ${marker}`)).length === 2, 20_000, 'the job to start its sleeps')
    await jobs.cancel('cancelme', { peer: SELF, user: 'mallory' })
    await until(async () => (await processesWith(`sleep ${marker}`)).length === 0, 10_000, 'every sleep to be gone after cancel')
    const marker2 = `1000.${process.pid}3`
    await jobs.submit({ id: 'slow', protocol: protocolYaml([`setsid sleep ${marker2} & sleep ${marker2}`]), timeLimit: 1500 }, MALLORY)
    const slow = await finished('slow')
    assert.equal(slow.state, 'failed')
    assert.match(slow.reason ?? '', /time limit/)
    await until(async () => (await processesWith(`sleep ${marker2}`)).length === 0, 10_000, 'every sleep to be gone after the time limit')
  })

  it('a fork flood is capped at the node\'s process limit', async () => {
    await open({ maxPids: 64 })
    // try to start 300 processes (shell builtins only count them: no fork is left to count with)
    const flood = '(i=0; while [ $i -lt 300 ]; do sleep 30 & echo x >> /tmp/started; i=$((i+1)); done) 2>/dev/null; n=0; while read -r l; do n=$((n+1)); done < /tmp/started; echo "started=$n"'
    await jobs.submit({ id: 'flood', protocol: protocolYaml([flood]), timeLimit: 20_000 }, MALLORY)
    const done = await finished('flood')
    const log = await collect(jobs.logs('flood'))
    const started = Number(/started=(\d+)/.exec(log)?.[1])
    assert.ok(started > 0 && started < 64, `started=${started}: ${done.state} ${done.reason} ${log.slice(0, 500)}`)
    assert.equal(done.limits?.pids, 64)
    // and a real fork bomb ends at the time limit without taking the machine
    await jobs.submit({ id: 'bomb', protocol: protocolYaml(['b() { b | b & }; b; sleep 60']), timeLimit: 3000 }, MALLORY)
    const bomb = await finished('bomb')
    assert.notEqual(bomb.state, 'succeeded')
  })

  it('a 3 GB allocation under memoryMB: 100 is killed and the job failed with the reason', async () => {
    await open()
    const protocol = protocolYaml(['python3 -c "x = b\'x\' * (3 * 1024 ** 3); print(len(x))"']).replace('memoryMB: 512', 'memoryMB: 100')
    const { job } = await jobs.submit({ id: 'hog', protocol }, MALLORY)
    assert.equal(job.limits?.memoryMB, 100)
    const done = await finished('hog')
    assert.equal(done.state, 'failed')
    assert.match(done.reason ?? '', /memory limit of 100 MB/)
  })

  it('refuses a task role asking for more GPUs or memory than the node has, at submission', async () => {
    await open({ maxMemoryMB: 1024 })
    const gpu = protocolYaml(['true']).replace('gpu: 0', 'gpu: 2')
    await assert.rejects(jobs.submit({ id: 'gpu', protocol: gpu }, MALLORY), (err: any) => err.name === 'JobResourcesError' && /2 GPU/.test(err.message))
    const big = protocolYaml(['true']).replace('memoryMB: 512', 'memoryMB: 4096')
    await assert.rejects(jobs.submit({ id: 'big', protocol: big }, MALLORY), (err: any) => err.name === 'JobResourcesError' && /4096 MB/.test(err.message))
  })

  it('without any isolation, refuses every job but the admin\'s and says what to install', async () => {
    await open({ runtime: 'auto', bwrap: '/nonexistent/bwrap', engine: '/nonexistent/podman' })
    const info = jobs.runtimes()
    assert.equal(info.default, 'none')
    assert.match(info.problem ?? '', /bubblewrap/)
    await assert.rejects(jobs.submit({ id: 'refused', protocol: protocolYaml(['true']) }, MALLORY), (err: any) => err.name === 'NoIsolationError' && /bubblewrap/.test(err.message))
    const { job } = await jobs.submit({ id: 'admins', protocol: protocolYaml(['true']) }, { peer: SELF })
    assert.equal(job.runtime, 'process')
  })

  it('an extras storage naming the job\'s dataset is mounted read-only at its mountPath; others are logged', async () => {
    await open()
    const protocol = protocolYaml([
      'cat /data/mnist/train.csv',
      'cat /mnt/bafkmnist/train.csv',
      '(echo x > /data/mnist/train.csv) 2>/dev/null && echo writable || echo read-only',
      'ls /mnt/imagenet 2>&1 || true'
    ]) + [
      'extras:',
      '  storages:',
      '    - { name: mnist, mountPath: /data/mnist }',
      '    - { name: imagenet }',
      '  com.microsoft.pai.runtimeplugin:',
      '    - { plugin: teamwise_storage, parameters: { storageConfigNames: [bafkmnist] } }',
      ''
    ].join('\n')
    await jobs.submit({ id: 'mounts', protocol, dataset: '#MNIST' }, MALLORY)
    const done = await finished('mounts')
    const log = await collect(jobs.logs('mounts'))
    assert.equal(done.state, 'succeeded', log)
    assert.match(log, /extras storage "mnist": mounted read-only at \/data\/mnist/)
    assert.equal(log.match(/1,2,3/g)?.length, 2, log)
    assert.match(log, /\nread-only\n/)
    assert.match(log, /extras storage "imagenet": ignored: not a dataset or model of this job/)
    assert.equal(await fs.readFile(path.join(ws.dir, 'datasets', 'mnist', 'train.csv'), 'utf8'), '1,2,3\n')
  })

  it('refuses extras storages that name a host path or mount over the job\'s or the system\'s directories', async () => {
    await open()
    const protocol = protocolYaml([`cat /mnt/x/admin.token /mnt/y/admin.token /paip/work/train.csv /etc/train.csv 2>&1 || true`, 'echo ran']) + [
      'extras:',
      '  storages:',
      '    - { name: "../../", mountPath: /mnt/x }',
      `    - { name: ${JSON.stringify(home)}, mountPath: /mnt/y }`,
      '    - { name: private, mountPath: /mnt/z }',
      '    - { name: mnist, mountPath: /paip/work }',
      '    - { name: mnist, mountPath: "/mnt/../etc" }',
      '    - { name: mnist, mountPath: "/mnt/a:rw" }',
      ''
    ].join('\n')
    await jobs.submit({ id: 'hostile-mounts', protocol, dataset: '#MNIST' }, MALLORY)
    const done = await finished('hostile-mounts')
    const log = await collect(jobs.logs('hostile-mounts'))
    assert.equal(done.state, 'succeeded', log)
    assert.match(log, /extras storage "\.\.\/\.\.\/": refused: a storage is named by a dataset or model of this job, not a path/)
    assert.match(log, /extras storage ".*home": refused/)
    assert.match(log, /extras storage "private": ignored: not a dataset or model of this job/)
    assert.equal(log.match(/extras storage "mnist": refused: mountPath/g)?.length, 3, log)
    assert.doesNotMatch(log, new RegExp(TOKEN))
    assert.doesNotMatch(log, /1,2,3/)
    assert.match(log, /ran/)
  })
})
