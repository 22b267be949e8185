import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJobs } from '../../src/jobs/index.js'
import { localImage, TEST_ENGINE } from '../fixtures/containers/image.js'
import { collect, jobEnded, localDataset, resolverOf, workspace } from './fixtures.js'
import type { Job, Jobs, JobsInit } from '../../src/jobs/index.js'
import type { Bench } from './fixtures.js'

const SELF = '12D3KooWSelfNodeForContainerTests'
const MALLORY = { peer: SELF, user: 'mallory' }
const VALID = fileURLToPath(new URL('../../../test/fixtures/protocols/valid/', import.meta.url))
/** The image OpenPAI's runtime test protocol names, built here from busybox under that name. */
const IMAGE = 'docker.io/openpai/pai.example.tensorflow-serving:latest'

describe('jobs container runtime: real OpenPAI protocols in podman containers', function () {
  this.timeout(180_000)
  let ws: Bench
  let jobs: Jobs

  async function open (init: Partial<JobsInit> = {}): Promise<Jobs> {
    const mnist = await localDataset(ws.dir, 'mnist', ['MNIST'], { 'train.csv': '1,2,3\n' })
    // the protocols ask for GPUs and more CPUs than this machine has: this node offers them
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: resolverOf([mnist]), peerId: SELF },
      { dir: path.join(ws.dir, 'home', 'jobs'), env: { PATH: process.env.PATH }, engine: TEST_ENGINE, gpus: 2, cpus: 8, maxMemoryMB: 16384, ...init })
    await jobs.start()
    return jobs
  }

  const finished = async (id: string, ms = 120_000): Promise<Job> => await jobEnded(jobs, id, ms)

  before(async () => { await localImage(IMAGE) })
  beforeEach(async () => { ws = await workspace() })
  afterEach(async () => {
    await jobs?.stop()
    await ws.cleanup()
  })

  it('runs OpenPAI\'s cmd_test_job in a container of its dockerImage, built locally under that name', async () => {
    await open()
    const protocol = await fs.readFile(path.join(VALID, 'microsoft__openpai-runtime__test__cmd_test_job.yaml'), 'utf8')
    const { job } = await jobs.submit({ id: 'openpai-cmd', protocol, dataset: '#MNIST' }, MALLORY)
    assert.equal(job.runtime, 'container')
    assert.equal(job.limits?.memoryMB, 8192)
    assert.equal(job.limits?.cpu, 4)
    const done = await finished('openpai-cmd')
    const log = await collect(jobs.logs('openpai-cmd'))
    assert.equal(done.state, 'succeeded', `${done.reason}: ${log}`)
    assert.equal(log, 'Commands start ...\n')
  })

  it('gives a container its dataset read-only and its output, and nothing of the node home, network or environment', async () => {
    await open()
    const home = path.join(ws.dir, 'home')
    await fs.writeFile(path.join(home, 'token'), 'container-admin-token-5e1d', { mode: 0o600 })
    const protocol = (await fs.readFile(path.join(VALID, 'microsoft__openpai-runtime__test__cmd_test_job.yaml'), 'utf8'))
      .replace('- echo "Commands start ..."', [
        '- cat "$PAIP_WORK_DIR/../../../../token" "$PAIP_WORK_DIR/../../../token" 2>&1 || true',
        `- cat ${home}/token 2>&1 || true`,
        '- cat "$PAIP_DATASET_DIR/train.csv"',
        '- (echo x > "$PAIP_DATASET_DIR/train.csv") 2>/dev/null || echo dataset-read-only',
        '- echo "role=$PAI_CURRENT_TASK_ROLE_NAME resource=$PAI_RESOURCE_worker"',
        '- ls /sys/class/net',
        '- echo out > "$PAIP_OUTPUT_DIR/result.txt"'
      ].join('\n      '))
    await jobs.submit({ id: 'container-thief', protocol, dataset: '#MNIST' }, MALLORY)
    const done = await finished('container-thief')
    const log = await collect(jobs.logs('container-thief'))
    assert.equal(done.state, 'succeeded', `${done.reason}: ${log}`)
    assert.ok(!log.includes('container-admin-token-5e1d'), log)
    assert.match(log, /1,2,3/)
    assert.match(log, /dataset-read-only/)
    assert.match(log, /role=worker resource=1,4,8192,0/)
    assert.doesNotMatch(log, /eth0/)
    assert.deepEqual(done.outputs.map(o => o.path), ['result.txt'])
  })

  it('mounts an extras storage naming the job\'s dataset read-only at its mountPath, and logs the one that does not map', async () => {
    await open()
    const protocol = (await fs.readFile(path.join(VALID, 'microsoft__openpai-runtime__test__cmd_test_job.yaml'), 'utf8'))
      .replace('- echo "Commands start ..."', [
        '- cat /data/mnist/train.csv',
        '- (echo x > /data/mnist/train.csv) 2>/dev/null || echo storage-read-only'
      ].join('\n      '))
      .replace('extras:\n', 'extras:\n  storages:\n    - { name: mnist, mountPath: /data/mnist }\n    - { name: cifar10 }\n    - { name: "../../", mountPath: /mnt/up }\n')
    await jobs.submit({ id: 'container-storages', protocol, dataset: '#MNIST' }, MALLORY)
    const done = await finished('container-storages')
    const log = await collect(jobs.logs('container-storages'))
    assert.equal(done.state, 'succeeded', `${done.reason}: ${log}`)
    assert.match(log, /extras storage "mnist": mounted read-only at \/data\/mnist/)
    assert.match(log, /1,2,3/)
    assert.match(log, /storage-read-only/)
    assert.match(log, /extras storage "cifar10": ignored: not a dataset or model of this job/)
    assert.match(log, /extras storage "\.\.\/\.\.\/": refused/)
  })

  it('fails a job whose image cannot be had, with that reason', async () => {
    await open()
    const protocol = await fs.readFile(path.join(VALID, 'microsoft__openpai-runtime__test__docker_image_no_exist.yaml'), 'utf8')
    await jobs.submit({ id: 'no-image', protocol }, MALLORY)
    const done = await finished('no-image')
    assert.equal(done.state, 'failed')
    assert.match(done.reason ?? '', /image openpai\/fake_image could not be pulled/)
    assert.match(await collect(jobs.logs('no-image')), /pulling image openpai\/fake_image/)
  })
})
