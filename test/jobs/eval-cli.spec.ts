import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { startGrid } from '../fixtures/grid.js'
import { runBin } from '../fixtures/bin.js'
import { paip as inProcess } from '../fixtures/cli.js'
import { until } from '../fixtures/wait.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

/**
 * The evaluator contract: the model's entry point gets the dataset directory and the output
 * directory, writes `result.json` there, and fails with a non-zero exit. This one fails while
 * the file `fail` exists next to the dataset's copy on the node, and counts its runs (one line
 * per run: the criteria it was asked for). It always reports accuracy, asked or not.
 */
const EVALUATE = `#!/bin/sh
echo "run:$PAIP_EVAL_CRITERIA" >> "$COUNTER"
if [ -e "$FAIL" ]; then echo "told to fail" >&2; exit 3; fi
m='"accuracy": 0.5'
for c in $(echo "$PAIP_EVAL_CRITERIA" | tr , ' '); do [ "$c" = accuracy ] || m="$m, \\"$c\\": 0.7"; done
echo "{$m}" > "$2/result.json"
`

const MODELS = ['counter-rerun', 'counter-owner', 'counter-rm', 'counter-criteria']

describe('jobs: `paip eval` through bin/paip on a node', function () {
  this.timeout(120_000)
  let grid: Grid | undefined
  let node: TestNode
  let dir: string
  const counter = (): string => path.join(dir, 'runs')
  const fail = (): string => path.join(dir, 'fail')
  const paip = async (...args: string[]): Promise<any> => {
    const run = await runBin(['--home', node.home, ...args, '--json'], { cwd: dir })
    assert.equal(run.code, 0, `paip ${args.join(' ')}: ${run.stderr}`)
    return run.json()
  }
  /** The same command in this process: the polls and clean-ups, where bin/paip has nothing more to show. */
  const cli = async (...args: string[]): Promise<any> => {
    const run = await inProcess(['--home', node.home, ...args, '--json'], { cwd: dir })
    assert.equal(run.code, 0, `paip ${args.join(' ')}: ${run.stderr}`)
    return run.json()
  }
  const asked = async (): Promise<string[]> => (await fs.readFile(counter(), 'utf8').catch(() => '')).split('\n').filter(Boolean)
  const runs = async (): Promise<number> => (await asked()).length

  before(async () => {
    dir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'paip-eval-cli-'))
    const evaluate = EVALUATE.replaceAll('"$COUNTER"', JSON.stringify(counter())).replaceAll('"$FAIL"', JSON.stringify(fail()))
    await fs.mkdir(path.join(dir, 'digits'))
    await fs.writeFile(path.join(dir, 'digits', 'test.csv'), '1\n2\n')
    // a node with a peer: alone, every DHT lookup of an evaluation waits its whole deadline for one
    grid = await startGrid(2, { node: { config: { jobs: { runtime: 'process' } } as any } })
    node = grid.nodes[0]
    // what the cases evaluate is added through the CLI in this process (`paip eval` is what runs through bin/paip)
    const setup = async (...args: string[]): Promise<void> => {
      const run = await inProcess(['--home', node.home, ...args], { cwd: dir })
      assert.equal(run.code, 0, `paip ${args.join(' ')}: ${run.stderr}`)
    }
    await setup('datasets', 'add', path.join(dir, 'digits'), '--name', 'digits', '--tags', '#digits')
    // a model of its own for each case (the same evaluator): no case finds another's evaluation
    for (const model of MODELS) {
      await fs.mkdir(path.join(dir, model))
      await fs.writeFile(path.join(dir, model, 'evaluate'), evaluate, { mode: 0o755 })
      await fs.writeFile(path.join(dir, model, 'README'), `${model}\n`)
      await setup('models', 'add', path.join(dir, model), '--name', model, '--framework', 'sh', '--task', 'regression', '--entrypoint', 'evaluate')
    }
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await fs.rm(dir, { recursive: true, force: true })
  })

  /** Waits (polling the node's API) until evaluation `key` ends; answers it as `paip eval list` lists it. */
  async function ended (key: string): Promise<any> {
    await until(async () => {
      const { evals } = await node.client.get<{ evals: any[] }>('/api/v1/evals')
      return ['succeeded', 'failed', 'cancelled'].includes(evals.find(e => e.key === key)?.state)
    }, 60_000, `evaluation ${key} to end`, 250)
    return (await cli('eval', 'list')).find((e: any) => e.key === key)
  }

  /** Orders `model` on the digits and waits for it to succeed; answers it as listed. */
  async function evaluated (model: string): Promise<any> {
    const ordered = await paip('eval', model, 'digits')
    const listed = await ended(ordered.key)
    assert.equal(listed.state, 'succeeded')
    return listed
  }

  it('reruns an evaluation whose last run failed, and says so', async () => {
    const before = await runs()
    await fs.writeFile(fail(), '')
    let first: any
    try {
      first = await paip('eval', 'counter-rerun', 'digits')
      assert.equal(first.cached, false)
      assert.equal((await ended(first.key)).state, 'failed')
      assert.equal(await runs(), before + 1)
    } finally {
      await fs.rm(fail(), { force: true })
    }
    const again = await paip('eval', 'counter-rerun', 'digits')
    assert.equal(again.cached, false)
    assert.match(again.reason, /failed.*running it again/)
    assert.notEqual(again.job.id, first.job.id)
    assert.equal((await ended(first.key)).state, 'succeeded')
    assert.equal(await runs(), before + 2)
  })

  it('refuses another user removing an evaluation the admin ordered (403 naming the owner), and keeps it', async () => {
    const listed = await evaluated('counter-owner')
    await node.client.post('/api/v1/users', { name: 'mallory', password: 'correct horse', roles: ['run', 'read'] })
    const { token } = await node.anonymous.post<any>('/repo/auth/mallory', { password: 'correct horse' })
    const mallory = createApiClient({ url: node.url, token })
    const refused = await mallory.delete(`/api/v1/evals/${listed.key}`).then(() => undefined, (err: any) => err)
    assert.equal(refused?.status, 403)
    assert.match(String(refused.message), /admin/)
    assert.equal((await cli('eval', 'list')).find((e: any) => e.key === listed.key)?.state, 'succeeded')
  })

  it('lists evaluations, and `paip eval rm <key>` withdraws this node\'s result (a failed record: the next order reruns it)', async () => {
    const listed = await evaluated('counter-rm')
    assert.deepEqual(listed.criteria, [])
    const removed = await paip('eval', 'rm', listed.key)
    assert.equal(removed.reason, 'removed')
    assert.equal((await cli('eval', 'list')).some((e: any) => e.key === listed.key), false)
    // the other cases' evaluations too: an empty list says so
    for (const other of await cli('eval', 'list')) await cli('eval', 'rm', other.key)
    assert.deepEqual(await paip('eval', 'list'), [])
    const text = await runBin(['--home', node.home, 'eval', 'list'])
    assert.match(text.stdout, /no evaluations/)
    const notKey = await runBin(['--home', node.home, 'eval', 'rm', 'not-a-key'])
    assert.equal(notKey.code, 2, notKey.stderr)
  })

  it('reuses the criteria of a finished evaluation: `accuracy,f1,precision` after `accuracy,f1` asks the evaluator only for precision', async () => {
    const before = await runs()
    const first = await paip('eval', 'counter-criteria', 'digits', '--criteria', 'accuracy,f1')
    assert.equal(first.cached, false)
    assert.equal((await ended(first.key)).state, 'succeeded')
    assert.equal(await runs(), before + 1)
    assert.equal((await asked()).at(-1), 'run:accuracy,f1')

    const wider = await paip('eval', 'counter-criteria', 'digits', '--criteria', 'accuracy,f1,precision')
    assert.equal(wider.cached, false)
    assert.notEqual(wider.key, first.key)
    assert.deepEqual(wider.reused?.criteria, ['accuracy', 'f1'])
    assert.equal(wider.reused?.key, first.key)
    assert.match(wider.reason, /reus.*accuracy,f1.*precision/)
    assert.equal((await ended(wider.key)).state, 'succeeded')
    assert.equal(await runs(), before + 2)
    assert.equal((await asked()).at(-1), 'run:precision')

  })
})
