import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createJobs } from '../../src/jobs/index.js'
import { until } from '../fixtures/wait.js'
import { alive, collect, jobEnded, localDataset, protocolYaml, readPid, resolverOf, workspace } from './fixtures.js'
import type { Jobs, JobsInit, Job } from '../../src/jobs/index.js'
import type { Bench } from './fixtures.js'

const SELF = '12D3KooWSelfNodeForJobTests'

describe('jobs runner', function () {
  this.timeout(30_000)
  let ws: Bench
  let jobs: Jobs

  async function open (init: Partial<JobsInit> = {}): Promise<Jobs> {
    const mnist = await localDataset(ws.dir, 'mnist', ['MNIST'], { 'train.csv': '1,2,3\n' })
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: resolverOf([mnist]), peerId: SELF },
      // these tests look at the job's processes from the host: the process runtime
      { dir: path.join(ws.dir, 'jobs'), slots: 2, env: { PATH: process.env.PATH }, runtime: 'process', ...init })
    await jobs.start()
    return jobs
  }

  const finished = async (id: string, ms = 20_000): Promise<Job> => await jobEnded(jobs, id, ms)

  beforeEach(async () => { ws = await workspace() })
  afterEach(async () => {
    await jobs?.stop()
    await ws.cleanup()
  })

  it('runs every command of each task role `instances` times with the dataset and OpenPAI variables', async () => {
    await open()
    const protocol = protocolYaml([
      'echo "role=$PAI_CURRENT_TASK_ROLE_NAME index=$PAI_CURRENT_TASK_ROLE_CURRENT_TASK_INDEX of $PAI_TASK_ROLE_TASK_COUNT_main lr=<% $parameters.lr %>"',
      'cat "$PAIP_DATASET_DIR/train.csv"',
      'echo "$PAI_JOB_NAME $PAIP_RUNTIME" > "$PAIP_OUTPUT_DIR/run-$PAI_CURRENT_TASK_ROLE_CURRENT_TASK_INDEX.txt"'
    ], { instances: 2, parameters: { lr: '0.1' } })
    const { job, duplicate } = await jobs.submit({ id: 'job-1', protocol, dataset: '#MNIST', parameters: { lr: '0.5' } }, { peer: SELF, user: 'alice' })
    assert.equal(duplicate, false)
    assert.equal(job.state, 'queued')
    const done = await finished('job-1')
    assert.equal(done.state, 'succeeded', done.reason)
    assert.equal(done.runtime, 'process')
    assert.equal(done.dataset?.name, 'mnist')
    const log = await collect(jobs.logs('job-1'))
    assert.match(log, /role=main index=0 of 2 lr=0\.5/)
    assert.match(log, /role=main index=1 of 2 lr=0\.5/)
    assert.match(log, /1,2,3/)
    assert.deepEqual(done.outputs.map(o => o.path), ['run-0.txt', 'run-1.txt'])
    const bytes = await collect(ws.blobs.get(done.outputs[0].cid))
    assert.equal(bytes, 'alice~test_job process\n')
  })

  it('never shows secrets in logs or status', async () => {
    await open()
    const protocol = protocolYaml(['echo "token is <% $secrets.token %>"', 'printf "%s" "<% $secrets.token %>" | cut -c1-100'])
    await jobs.submit({ id: 'secret-1', protocol, secrets: { token: 's3cr3t-VALUE' } }, { peer: SELF })
    const done = await finished('secret-1')
    assert.equal(done.state, 'succeeded', done.reason)
    const log = await collect(jobs.logs('secret-1'))
    assert.ok(!log.includes('s3cr3t-VALUE'), log)
    assert.match(log, /token is \*\*\*/)
    assert.ok(!JSON.stringify(done).includes('s3cr3t-VALUE'))
    assert.deepEqual(done.secrets, ['token'])
  })

  it('stops a command that runs forever at the time limit', async () => {
    await open({ timeLimit: 500 })
    await jobs.submit({ id: 'forever', protocol: protocolYaml(['while true; do sleep 1; done']) }, { peer: SELF })
    const done = await finished('forever')
    assert.equal(done.state, 'failed')
    assert.match(done.reason ?? '', /time limit/)
  })

  it('stops a job that floods stdout at the output cap', async () => {
    await open({ maxLogBytes: 64 * 1024 })
    await jobs.submit({ id: 'flood', protocol: protocolYaml(['yes flood']) }, { peer: SELF })
    const done = await finished('flood')
    assert.equal(done.state, 'failed')
    assert.match(done.reason ?? '', /output limit/)
    assert.ok(done.logBytes <= 64 * 1024, `${done.logBytes} bytes kept`)
  })

  it('kills the children a job forked when it exits', async () => {
    await open()
    const pidFile = path.join(ws.dir, 'child.pid')
    await jobs.submit({ id: 'forker', protocol: protocolYaml([`sleep 300 & echo $! > ${pidFile}`]) }, { peer: SELF })
    const done = await finished('forker')
    assert.equal(done.state, 'succeeded', done.reason)
    const pid = await readPid(pidFile)
    await until(() => !alive(pid), 5000, 'the forked child to be killed')
  })

  it('cancel kills the whole process group', async () => {
    await open()
    const pidFile = path.join(ws.dir, 'child.pid')
    await jobs.submit({ id: 'to-cancel', protocol: protocolYaml([`sleep 300 & echo $! > ${pidFile}; sleep 300`]) }, { peer: SELF })
    const pid = await readPid(pidFile)
    assert.ok(alive(pid))
    const job = await jobs.cancel('to-cancel')
    assert.equal(job.state, 'cancelled')
    await until(() => !alive(pid), 5000, 'the forked child to be killed')
  })

  it('collects no output written through `..` or reachable only by a symlink', async () => {
    await open()
    const secretFile = path.join(ws.dir, 'outside.txt')
    await fs.writeFile(secretFile, 'not yours')
    await jobs.submit({
      id: 'escape',
      protocol: protocolYaml([
        'echo escaped > "$PAIP_OUTPUT_DIR/../escaped.txt"',
        `ln -s ${secretFile} "$PAIP_OUTPUT_DIR/link.txt"`,
        `ln -s ${ws.dir} "$PAIP_OUTPUT_DIR/linkdir"`,
        'mkdir -p "$PAIP_OUTPUT_DIR/sub" && echo ok > "$PAIP_OUTPUT_DIR/sub/real.txt"'
      ])
    }, { peer: SELF })
    const done = await finished('escape')
    assert.equal(done.state, 'succeeded', done.reason)
    assert.deepEqual(done.outputs.map(o => o.path), ['sub/real.txt'])
  })

  it('returns the existing job for a duplicate submission with the same ID', async () => {
    await open()
    const counter = path.join(ws.dir, 'runs')
    const submission = { id: 'dup', protocol: protocolYaml([`echo run >> ${counter}`]) }
    const first = await jobs.submit(submission, { peer: SELF })
    const second = await jobs.submit(submission, { peer: SELF })
    assert.equal(first.duplicate, false)
    assert.equal(second.duplicate, true)
    assert.equal(second.job.id, 'dup')
    await finished('dup')
    const third = await jobs.submit(submission, { peer: SELF })
    assert.equal(third.duplicate, true)
    assert.equal(third.job.state, 'succeeded')
    assert.equal((await fs.readFile(counter, 'utf8')).trim().split('\n').length, 1)
    await assert.rejects(jobs.submit(submission, { peer: '12D3KooWSomeoneElse' }), { name: 'JobNotAllowedError' })
  })

  it('rejects an invalid protocol', async () => {
    await open()
    await assert.rejects(jobs.submit({ id: 'bad-1', protocol: 'name: [unclosed' }, { peer: SELF }), { name: 'JobProtocolInvalidError' })
    await assert.rejects(jobs.submit({ id: 'bad-2', protocol: 'protocolVersion: 2\nname: x\ntype: job\ntaskRoles: {}\n' }, { peer: SELF }), { name: 'JobProtocolInvalidError' })
    await assert.rejects(jobs.submit({ id: '../etc', protocol: protocolYaml(['true']) }, { peer: SELF }), { name: 'InvalidJobError' })
    await assert.rejects(jobs.status('bad-1'), { name: 'JobNotFoundError' })
  })

  it('rejects a job naming a dataset the node does not hold', async () => {
    await open()
    await assert.rejects(jobs.submit({ id: 'nodata', protocol: protocolYaml(['true']), dataset: '#CIFAR10' }, { peer: SELF }), { name: 'DatasetNotHeldError' })
    await assert.rejects(jobs.status('nodata'), { name: 'JobNotFoundError' })
  })

  it('rejects a peer that is not allowed, and accepts one on the allowlist', async () => {
    await open({ allow: { peers: ['12D3KooWFriend', 'bob@12D3KooWOther'] } })
    const protocol = protocolYaml(['true'])
    await assert.rejects(jobs.submit({ id: 'stranger', protocol }, { peer: '12D3KooWStranger' }), { name: 'JobNotAllowedError' })
    await assert.rejects(jobs.submit({ id: 'other-eve', protocol }, { peer: '12D3KooWOther', user: 'eve' }), { name: 'JobNotAllowedError' })
    assert.equal((await jobs.submit({ id: 'friend', protocol }, { peer: '12D3KooWFriend' })).job.state, 'queued')
    assert.equal((await jobs.submit({ id: 'other-bob', protocol }, { peer: '12D3KooWOther', user: 'bob' })).job.state, 'queued')
  })

  it('only lets local users with the run role submit when roles are configured', async () => {
    await open({ allow: { users: ['carol'] } })
    const protocol = protocolYaml(['true'])
    await assert.rejects(jobs.submit({ id: 'dave', protocol }, { peer: SELF, user: 'dave' }), { name: 'JobNotAllowedError' })
    assert.equal((await jobs.submit({ id: 'carol', protocol }, { peer: SELF, user: 'carol' })).job.state, 'queued')
    assert.equal((await jobs.submit({ id: 'admin', protocol }, { peer: SELF, user: 'admin' })).job.state, 'queued')
  })

  it('stops the jobs of a deleted dataset and removes their outputs', async () => {
    await open()
    await jobs.submit({ id: 'done-on-mnist', protocol: protocolYaml(['echo out > "$PAIP_OUTPUT_DIR/o.txt"']), dataset: '#MNIST' }, { peer: SELF })
    const done = await finished('done-on-mnist')
    assert.equal(done.outputs.length, 1)
    assert.equal(await ws.blobs.has(done.outputs[0].cid), true)
    await jobs.submit({ id: 'same-output', protocol: protocolYaml(['echo out > "$PAIP_OUTPUT_DIR/o.txt"']) }, { peer: SELF })
    const same = await finished('same-output')
    assert.equal(same.outputs[0].cid, done.outputs[0].cid)
    await jobs.submit({ id: 'running-on-mnist', protocol: protocolYaml(['sleep 300']), dataset: 'mnist' }, { peer: SELF })
    await until(async () => (await jobs.status('running-on-mnist')).state === 'running', 10_000, 'the job to run')
    const stopped = await jobs.contentDeleted(done.dataset?.cid as string)
    assert.deepEqual(stopped, ['running-on-mnist'])
    const cancelled = await jobs.status('running-on-mnist')
    assert.equal(cancelled.state, 'cancelled')
    assert.match(cancelled.reason ?? '', /deletion/)
    assert.deepEqual((await jobs.status('done-on-mnist')).outputs, [])
    // the same bytes are another job's output too: kept for it
    assert.equal(await ws.blobs.has(done.outputs[0].cid), true)
    await jobs.submit({ id: 'other-output', protocol: protocolYaml(['echo only mine > "$PAIP_OUTPUT_DIR/p.txt"']), dataset: 'mnist' }, { peer: SELF })
    const mine = await finished('other-output')
    await jobs.contentDeleted(done.dataset?.cid as string)
    assert.equal(await ws.blobs.has(mine.outputs[0].cid), false)
  })

  it('after a restart keeps queued jobs queued and marks running ones failed (or retries them)', async () => {
    await open({ slots: 2 })
    await jobs.submit({ id: 'running', protocol: protocolYaml(['sleep 300']) }, { peer: SELF })
    await jobs.submit({ id: 'retried', protocol: protocolYaml(['sleep 300'], { jobRetryCount: 1 }) }, { peer: SELF })
    await until(async () => (await jobs.status('running')).state === 'running' && (await jobs.status('retried')).state === 'running', 10_000, 'two jobs to run')
    await jobs.submit({ id: 'waiting', protocol: protocolYaml(['echo later']) }, { peer: SELF })
    assert.equal((await jobs.status('waiting')).state, 'queued')
    // the node goes away without finishing anything, then comes back on the same database
    await jobs.stop()
    await ws.reopen()
    await open({ slots: 0 })
    assert.equal((await jobs.status('waiting')).state, 'queued')
    const failed = await jobs.status('running')
    assert.equal(failed.state, 'failed')
    assert.equal(failed.reason, 'node restarted')
    const retried = await jobs.status('retried')
    assert.equal(retried.state, 'queued')
    assert.match(retried.reason ?? '', /node restarted/)
    // and with slots again, the queued ones run
    await jobs.stop()
    await open({ slots: 2, timeLimit: 300 })
    assert.equal((await finished('waiting')).state, 'succeeded')
    const again = await finished('retried')
    assert.equal(again.attempts, 2)
  })
})
