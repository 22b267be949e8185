import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestbed } from '../../src/testbed/index.js'
import { paip } from '../fixtures/cli.js'
import { until } from '../fixtures/wait.js'
import type { CliRun } from '../fixtures/cli.js'
import type { Testbed, TestbedNode } from '../../src/testbed/index.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'

/** A protocol that lists the dataset's files and writes one output file. */
const LISTING_PROTOCOL = publishedProtocol({
  name: 'list_dataset',
  commands: ['echo running on $PAIP_NODE_ID', 'ls $PAIP_DATASET_DIR', 'ls $PAIP_DATASET_DIR > $PAIP_OUTPUT_DIR/listing.txt']
})

/** A protocol a user publishes to the marketplace (found by the keyword "gridzebra"). */
const PUBLISHED_PROTOCOL = publishedProtocol({ name: 'gridzebra', description: 'gridzebra: a protocol pushed in the end-to-end test', commands: ['echo zebra'] })

describe('grid: four daemon processes driven through the CLI and the HTTP API', function () {
  this.timeout(120_000)
  // the cases share the four daemons, not their state: each adds the data, users and jobs it
  // uses (under names of its own), so any one of them runs alone (`--grep`)
  let testbed: Testbed | undefined
  let work: string
  let A: TestbedNode
  let B: TestbedNode
  let C: TestbedNode
  let D: TestbedNode

  /** `paip <args> --api <node>` as a user of that node's home, in `cwd`. */
  async function cli (node: TestbedNode, args: string[], cwd = work, extra: Record<string, string> = {}, readSecret?: (prompt: string) => Promise<string>): Promise<CliRun> {
    return paip([...args, '--api', node.url], {
      env: { PAIP_HOME: node.home, PAIP_CONFIG_DIR: join(work, `config-${node.index}`), ...extra },
      cwd,
      ...(readSecret == null ? {} : { readSecret }),
      signal: AbortSignal.timeout(30_000)
    })
  }

  /** `paip <args>` with only `PAIP_HOME` set: the CLI must find the node from its home. */
  async function local (node: TestbedNode, args: string[]): Promise<CliRun> {
    return paip(args, { env: { PAIP_HOME: node.home }, cwd: work, signal: AbortSignal.timeout(30_000) })
  }

  function ok (run: CliRun, what: string): CliRun {
    assert.equal(run.code, 0, `${what} exited ${run.code}: ${run.stderr}${run.stdout}`)
    return run
  }

  /** A directory of this case's own under the work dir. */
  async function caseDir (name: string): Promise<string> {
    const dir = join(work, name)
    await mkdir(dir, { recursive: true })
    return dir
  }

  /** Adds a public dataset `name` (train.csv and test.csv) tagged `tag` on `node`. */
  async function mnistOn (node: TestbedNode, name: string, tag = '#mnist'): Promise<void> {
    const data = await caseDir(name)
    await writeFile(join(data, 'train.csv'), 'label,pixels\n7,0 0 1\n')
    await writeFile(join(data, 'test.csv'), 'label,pixels\n2,1 0 0\n')
    ok(await cli(node, ['datasets', 'add', data, '--name', name, '--tags', tag, '--public', '--json']), `datasets add ${name}`)
  }

  /** Waits until `from` finds `holder` holding a dataset tagged `tag`; answers the search's results. */
  async function findsMnist (from: TestbedNode, holder: TestbedNode, tag = '#mnist'): Promise<any[]> {
    let results: any[] = []
    await until(async () => {
      results = ok(await cli(from, ['datasets', 'search', tag, '--json']), `datasets search on ${from.index}`).json()
      return results.some(r => r.node?.peerId === holder.peerId)
    }, 30_000, `node ${from.index} to find node ${holder.index}'s ${tag} dataset`)
    return results
  }

  /** Submits `protocol` on `from` (with `args`), waits for it to end, answers its status. */
  async function runJob (from: TestbedNode, protocol: string, args: string[], dir: string): Promise<any> {
    await writeFile(join(dir, 'job.yaml'), protocol)
    const submitted = ok(await cli(from, ['run', 'job.yaml', ...args, '--json'], dir), `run on ${from.index}`).json()
    let job: any
    await until(async () => {
      job = ok(await cli(from, ['jobs', 'status', submitted.job.id, '--json']), `jobs status on ${from.index}`).json()
      return job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled'
    }, 30_000, 'the job to end')
    return { ...job, submitted }
  }

  /** A user of `node` pushes `protocol` (named `name`) to it, through a marketplace of its own. */
  async function publish (node: TestbedNode, user: string, name: string, protocol: string): Promise<void> {
    await node.client.put(`/repo/user/${user}`, { password: 'correct horse' })
    ok(await cli(node, ['marketplace', 'add', `lab-${user}`, node.url]), 'marketplace add')
    ok(await cli(node, ['login', `lab-${user}`, '--user', user], work, {}, async () => 'correct horse'), 'login')
    const source = await caseDir(`source-${user}`)
    ok(await cli(node, ['init', source]), 'init')
    await writeFile(join(source, `${name}.yaml`), protocol)
    ok(await cli(node, ['add', `${name}.yaml`], source), 'add')
    ok(await cli(node, ['commit', '-m', 'first version'], source), 'commit')
    const pushed = ok(await cli(node, ['push', '--to', `lab-${user}`, '--json'], source), 'push').json()
    assert.equal(pushed.pushed.length, 1)
  }

  /** Waits until `from` finds `user`'s protocol `name` with paip search; answers the hit. */
  async function findsProtocol (from: TestbedNode, user: string, name: string): Promise<any> {
    let hits: any[] = []
    await until(async () => {
      hits = ok(await cli(from, ['search', name, '--timeout', '2000', '--json']), `search on ${from.index}`).json().results
      return hits.some(h => h.name === `${user}/${name}`)
    }, 30_000, `node ${from.index} to find ${user}/${name}`)
    return hits.find(h => h.name === `${user}/${name}`)
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'paip-e2e-'))
    testbed = await startTestbed({ nodes: 4, env: { PAIP_JOB_ALLOW_PEERS: '*' } })
    ;[A, B, C, D] = testbed.nodes
  })

  after(async () => {
    await testbed?.stop()
    if (work != null) await rm(work, { recursive: true, force: true })
  })

  it('finds a dataset tagged #mnist added on node C from node A (CLI search and seed 002\'s POST /search)', async () => {
    await mnistOn(C, 'digits')
    const results = await findsMnist(A, C)
    const hit = results.find(r => r.node.peerId === C.peerId && r.entry.name === 'digits')
    assert.equal(hit?.entry.name, 'digits', JSON.stringify(results))

    const answer = await A.client.post<{ 'node-addresses': Array<[string, string]> }>('/search', { query: ['#mnist'] })
    const pair = answer['node-addresses'].find(([id]) => id === C.peerId)
    assert.ok(pair != null, `POST /search on A answers C: ${JSON.stringify(answer)}`)
    assert.ok(pair[1].includes('/ip4/127.0.0.1/') && pair[1].endsWith(`/p2p/${C.peerId}`), `C's address: ${pair[1]}`)
  })

  it('runs a protocol submitted on A with --dataset \'#mnist\' on C; A reads its logs and results', async () => {
    const dir = await caseDir('run')
    await mnistOn(C, 'digits-run')
    await findsMnist(A, C)
    const job = await runJob(A, LISTING_PROTOCOL, ['--dataset', '#mnist'], dir)
    assert.equal(job.submitted.node, C.peerId, 'the job goes to the node holding the dataset')
    const id: string = job.submitted.job.id
    const logs = ok(await cli(A, ['jobs', 'logs', id]), 'jobs logs on A').stdout
    assert.equal(job.state, 'succeeded', `job ended ${job.state}; logs:\n${logs}`)
    assert.match(logs, new RegExp(`running on ${C.peerId}`))
    assert.match(logs, /train\.csv/)
    assert.match(logs, /test\.csv/)

    const results = ok(await cli(A, ['jobs', 'results', id, '--get', 'out', '--json'], dir), 'jobs results on A').json()
    assert.deepEqual(results.outputs.map((o: any) => o.path), ['listing.txt'])
    const listing = await readFile(join(dir, 'out', 'listing.txt'), 'utf8')
    assert.deepEqual(listing.trim().split('\n').sort(), ['test.csv', 'train.csv'])
  })

  it('publishes a protocol pushed by a user of A; D finds it with paip search and pulls it into another repository', async () => {
    await publish(A, 'alice', 'gridzebra', PUBLISHED_PROTOCOL)
    const hit = await findsProtocol(D, 'alice', 'gridzebra')
    assert.equal(hit.user, 'alice')

    const target = await caseDir('target')
    ok(await cli(D, ['init', target]), 'init target')
    ok(await cli(D, ['pull', `${hit.publisher as string}/alice/gridzebra`], target), 'pull on D')
    const pulled = await readFile(join(target, 'gridzebra.yaml'), 'utf8')
    assert.equal(pulled, PUBLISHED_PROTOCOL)
  })

  it('runs the same evaluation ordered from A and then from B once, on C where model and dataset are', async () => {
    // a tag of its own: the evaluation's key names the one dataset it resolves to
    await mnistOn(C, 'digits-eval', '#digits-eval')
    const model = await caseDir('lenet')
    // the evaluator runs sandboxed on C: it is counted by C's jobs, not by a file it writes here
    await writeFile(join(model, 'evaluate'), `echo '{"accuracy": 0.9, "files": '$(ls "$1" | wc -l)'}' > "$2/result.json"\n`)
    ok(await cli(C, ['models', 'add', model, '--name', 'lenet', '--framework', 'sklearn', '--task', 'image-classification', '--json']), 'models add on C')
    await findsMnist(A, C, '#digits-eval')

    const first = ok(await cli(A, ['eval', 'lenet', '#digits-eval', '--criteria', 'accuracy', '--json']), 'eval on A').json()
    assert.equal(first.cached, false)
    assert.equal(first.node, C.peerId)
    let result: any
    await until(async () => {
      const run = await cli(B, ['eval', 'results', first.key, '--json'])
      result = run.code === 0 ? run.json() : undefined
      return result?.state === 'succeeded' || result?.state === 'failed'
    }, 30_000, 'B to read the evaluation\'s result')
    assert.equal(result.state, 'succeeded', JSON.stringify(result))
    assert.deepEqual(result.metrics, { accuracy: 0.9, files: 2 })
    assert.equal(result.publisher, C.peerId)

    const second = ok(await cli(B, ['eval', 'lenet', '#digits-eval', '--criteria', 'accuracy', '--json']), 'eval on B').json()
    assert.equal(second.cached, true)
    assert.equal(second.key, first.key)
    const jobsOnC = ok(await cli(C, ['jobs', 'list', '--json']), 'jobs list on C').json()
    const evals = (jobsOnC.jobs ?? jobsOnC).filter((j: any) => j.id === `eval-${first.key}` && j.node === C.peerId)
    assert.equal(evals.length, 1)
    assert.equal(evals[0].attempts, 1)
  })

  it('finds the local node from PAIP_HOME alone (no --api): its ID, its datasets, the jobs it ran', async () => {
    const dir = await caseDir('local')
    await mnistOn(C, 'digits-local')
    await findsMnist(A, C)
    const job = await runJob(A, LISTING_PROTOCOL, ['--dataset', '#mnist'], dir)
    assert.equal(job.state, 'succeeded')
    for (const node of testbed!.nodes) {
      assert.equal(ok(await local(node, ['id', '--json']), `id on ${node.index}`).json().peerId, node.peerId)
    }
    const datasets = ok(await local(C, ['datasets', 'list', '--json']), 'datasets list on C').json()
    assert.ok(JSON.stringify(datasets).includes('"digits-local"'), JSON.stringify(datasets))
    const status = ok(await local(C, ['jobs', 'status', job.submitted.job.id, '--json']), 'jobs status on C').json()
    assert.equal(status.state, 'succeeded')
    assert.equal(status.node, C.peerId)
    const found = ok(await local(D, ['datasets', 'search', '#mnist', '--json']), 'datasets search on D').json()
    assert.ok(found.some((r: any) => r.node?.peerId === C.peerId), JSON.stringify(found))
  })

  it('keeps datasets, jobs, users and published protocols across restarts of C and A', async () => {
    const dir = await caseDir('restarts')
    await mnistOn(C, 'digits-kept')
    await findsMnist(A, C)
    const job = await runJob(A, LISTING_PROTOCOL, ['--dataset', '#mnist'], dir)
    assert.equal(job.state, 'succeeded')
    await publish(A, 'carol', 'gridyak', PUBLISHED_PROTOCOL.replaceAll('gridzebra', 'gridyak'))
    await findsProtocol(D, 'carol', 'gridyak')

    await C.restart()
    await A.restart()
    assert.equal(ok(await cli(C, ['jobs', 'status', job.submitted.job.id, '--json']), 'jobs status on C after restart').json().state, 'succeeded')
    await findsMnist(A, C)
    await A.client.post('/repo/auth/carol', { password: 'correct horse' })
    await findsProtocol(D, 'carol', 'gridyak')
  })

  it('stops every node cleanly (exit code 0) with all components running', async () => {
    const codes = await Promise.all(testbed!.nodes.map(async n => await n.stop()))
    assert.deepEqual(codes, testbed!.nodes.map(() => 0), testbed!.nodes.map(n => n.log()).join('\n---\n'))
  })
})
