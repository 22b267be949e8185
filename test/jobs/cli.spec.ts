import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createAuthenticator } from '../../src/api/auth.js'
import { createApiServer } from '../../src/api/server.js'
import { jobsRoutes } from '../../src/api/routes/jobs.js'
import { NotFoundError } from '../../src/errors.js'
import { createJobs } from '../../src/jobs/index.js'
import { paipLogger } from '../../src/logger.js'
import { paip } from '../fixtures/cli.js'
import { until } from '../fixtures/wait.js'
import { localDataset, protocolYaml, resolverOf, workspace } from './fixtures.js'
import type { ApiServer } from '../../src/api/server.js'
import type { Jobs } from '../../src/jobs/index.js'
import type { Bench } from './fixtures.js'

const SELF = '12D3KooWCliTestNode'
const TOKEN = 'admin-token-for-jobs-cli-tests'

describe('jobs: CLI and REST API', function () {
  this.timeout(30_000)
  let ws: Bench
  let jobs: Jobs
  let server: ApiServer
  let url: string

  before(async () => {
    ws = await workspace()
    const mnist = await localDataset(ws.dir, 'mnist', ['MNIST'], { 'train.csv': 'a\nb\n' })
    const published: Record<string, string> = { 'alice/hello': protocolYaml(['echo published']) }
    const protocols = { load: async (ref: string) => { if (published[ref] == null) throw new NotFoundError(`no protocol ${ref}`); return published[ref] } }
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, blobs: ws.blobs, datasets: resolverOf([mnist]), peerId: SELF, protocols },
      { dir: path.join(ws.dir, 'jobs'), env: { PATH: process.env.PATH } })
    await jobs.start()
    const users: Record<string, string> = { 'alice-token': 'alice', 'bob-token': 'bob' }
    const authenticator = createAuthenticator({ adminToken: TOKEN, verifiers: [token => users[token] == null ? undefined : { kind: 'user', name: users[token], roles: ['run'] }] })
    const components = { logger: paipLogger(), authenticator, jobs, shutdownSignal: new AbortController().signal }
    server = await createApiServer(components, { routes: [jobsRoutes] })
    await server.listen({ host: '127.0.0.1', port: 0 })
    const address = server.server.address() as { port: number }
    url = `http://127.0.0.1:${address.port}`
    await fs.writeFile(path.join(ws.dir, 'job.yaml'), protocolYaml([
      'echo "hello <% $parameters.who %> <% $secrets.key %>"',
      'cp "$PAIP_DATASET_DIR/train.csv" "$PAIP_OUTPUT_DIR/copy.csv"'
    ]))
    await fs.writeFile(path.join(ws.dir, 'ticks.yaml'), protocolYaml(['for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done']))
    await fs.writeFile(path.join(ws.dir, 'bad.yaml'), 'protocolVersion: 2\nname: bad\ntype: job\ntaskRoles: [\n')
  })

  after(async () => {
    await server?.close()
    await jobs?.stop()
    await ws?.cleanup()
  })

  const cli = async (...args: string[]) => await paip(['--api', url, '--home', path.join(ws.dir, 'home'), ...args], { env: { PAIP_TOKEN: TOKEN }, cwd: ws.dir })

  async function settled (id: string): Promise<any> {
    let job: any
    await until(async () => {
      job = (await cli('--json', 'jobs', 'status', id)).json()
      return ['succeeded', 'failed', 'cancelled'].includes(job.state)
    }, 15_000, `job ${id}`)
    return job
  }

  it('runs a protocol file with parameters and secrets, and shows its status, logs and results', async () => {
    const run = await cli('--json', 'run', 'job.yaml', '--dataset', '#MNIST', '--param', 'who=world', '--secret', 'key=TOPSECRET', '--id', 'cli-1')
    assert.equal(run.code, 0, run.stderr)
    const sent = run.json()
    assert.equal(sent.job.id, 'cli-1')
    assert.equal(sent.node, SELF)
    assert.match(sent.reason, /holds #MNIST/)
    const job = await settled('cli-1')
    assert.equal(job.state, 'succeeded', job.reason)
    assert.equal(job.runtime, 'sandbox')
    assert.ok(!JSON.stringify(job).includes('TOPSECRET'))
    const logs = await cli('jobs', 'logs', 'cli-1')
    assert.equal(logs.stdout, 'hello world ***\n')
    const results = await cli('jobs', 'results', 'cli-1', '--get', 'out')
    assert.equal(results.code, 0, results.stderr)
    assert.equal(await fs.readFile(path.join(ws.dir, 'out', 'copy.csv'), 'utf8'), 'a\nb\n')
    const list = await cli('--json', 'jobs', 'list')
    assert.ok(list.json().some((j: any) => j.id === 'cli-1'))
    const again = await cli('--json', 'run', 'job.yaml', '--dataset', '#MNIST', '--id', 'cli-1')
    assert.equal(again.json().duplicate, true)
  })

  it('follows logs live with -f until the job ends', async () => {
    const run = await cli('--json', 'run', 'ticks.yaml', '--id', 'cli-ticks')
    assert.equal(run.code, 0, run.stderr)
    const logs = await cli('jobs', 'logs', 'cli-ticks', '-f')
    assert.equal(logs.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n')
  })

  it('runs a published protocol by its reference', async () => {
    const run = await cli('--json', 'run', 'alice/hello', '--id', 'cli-published')
    assert.equal(run.code, 0, run.stderr)
    await settled('cli-published')
    assert.equal((await cli('jobs', 'logs', 'cli-published')).stdout, 'published\n')
    assert.equal((await cli('run', 'bob/missing')).code, 4)
  })

  it('cancels a running job', async () => {
    await fs.writeFile(path.join(ws.dir, 'slow.yaml'), protocolYaml(['sleep 60']))
    await cli('run', 'slow.yaml', '--id', 'cli-slow')
    await until(async () => (await jobs.status('cli-slow')).state === 'running', 10_000, 'the job to start')
    const cancel = await cli('--json', 'jobs', 'cancel', 'cli-slow')
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.equal(cancel.json().state, 'cancelled')
  })

  it('shows a user only the jobs that user submitted (the admin sees all); another user gets 403 naming the owner', async () => {
    const as = async (token: string, ...args: string[]) => await paip(['--api', url, '--home', path.join(ws.dir, 'home'), '--json', ...args], { env: { PAIP_TOKEN: token }, cwd: ws.dir })
    const run = await as('alice-token', 'run', 'ticks.yaml', '--id', 'alice-1')
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json().job.submitter.user, 'alice')
    assert.equal((await as('alice-token', 'jobs', 'status', 'alice-1')).code, 0)
    assert.equal(run.json().job.owner, 'alice')
    for (const verb of ['status', 'cancel', 'logs', 'results']) {
      const refused = await as('bob-token', 'jobs', verb, 'alice-1')
      assert.equal(refused.code, 3, `${verb}: ${refused.stderr}`)
      assert.equal(refused.json().error.kind, 'forbidden')
      assert.match(refused.stderr, /belongs to alice/)
      assert.equal(refused.json().error.details.owner, 'alice')
    }
    assert.deepEqual((await as('bob-token', 'jobs', 'list')).json().map((j: any) => j.id), [])
    assert.ok((await as('alice-token', 'jobs', 'list')).json().every((j: any) => j.submitter.user === 'alice'))
    assert.ok((await as(TOKEN, 'jobs', 'list')).json().some((j: any) => j.id === 'alice-1'))
  })

  it('reports an invalid protocol, an unheld dataset and an unknown job with their names', async () => {
    const bad = await cli('--json', 'run', 'bad.yaml', '--id', 'cli-bad')
    assert.equal(bad.code, 2)
    assert.equal(bad.json().error.kind, 'invalid-input')
    assert.match(bad.stderr, /invalid protocol/)
    const nodata = await cli('--json', 'run', 'job.yaml', '--dataset', '#CIFAR', '--id', 'cli-nodata')
    assert.equal(nodata.code, 7)
    assert.match(nodata.stderr, /no node holding #CIFAR/)
    const missing = await cli('--json', 'jobs', 'status', 'no-such-job')
    assert.equal(missing.code, 4)
    const noToken = await paip(['--api', url, '--home', path.join(ws.dir, 'home'), 'jobs', 'list'], { env: {}, cwd: ws.dir })
    assert.equal(noToken.code, 3)
  })
})
