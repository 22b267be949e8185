import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGrid } from '../fixtures/grid.js'
import { paip } from '../fixtures/cli.js'
import { spawnPaip } from '../repo/child.js'
import { makeTarball, upload, userOf } from '../algorithms/fixtures.js'
import { DATA_FILES, PIPELINE, exampleWorkflow } from './fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Grid } from '../fixtures/grid.js'

describe('workflow: run on a 2-node grid', function () {
  this.timeout(90_000)
  let grid: Grid | undefined
  let source: TestNode
  let destination: TestNode
  let dir: string
  let env: Record<string, string>

  before(async () => {
    grid = await startGrid(2)
    ;[source, destination] = grid.nodes
    dir = await mkdtemp(join(tmpdir(), 'paip-wf-run-'))
    const quality = await userOf(source, 'quality')
    const deploy = await userOf(destination, 'deploy', ['publish', 'run', 'read'])
    for (const [name, files] of Object.entries(PIPELINE)) {
      await upload(quality.client, await makeTarball(files), `data://.my/algo_code/${name}.tar.gz`)
    }
    for (const [name, text] of Object.entries(DATA_FILES)) {
      await writeFile(join(dir, name), text)
      await upload(quality.client, join(dir, name), `data://.my/image_models/${name}`)
    }
    await writeFile(join(dir, 'image_pipeline.json'), JSON.stringify(exampleWorkflow(source.url), null, 2))
    const broken = exampleWorkflow(source.url)
    broken.algorithms[1].code_path = 'data://.my/algo_code/broken_pipeline.tar.gz'
    await writeFile(join(dir, 'broken.json'), JSON.stringify(broken))
    env = { SOURCE_API_KEY: quality.token, DESTINATION_API_ADDRESS: destination.url, DESTINATION_API_KEY: deploy.token, PAIP_HOME: join(dir, 'nohome') }
  })
  after(async () => {
    await grid?.stop()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('exports the example pipeline to the destination, runs its test payloads and both tests, and reports each step with its duration', async () => {
    const run = await spawnPaip(['--json', 'workflow', 'run'], dir, 170_000, { ...env, WORKFLOW_NAME: 'image_pipeline.json' }).done
    assert.equal(run.code, 0, run.stderr + run.stdout)
    const report = JSON.parse(run.stdout)
    assert.equal(report.ok, true)
    assert.deepEqual([report.source.user, report.destination.user], ['quality', 'deploy'])
    assert.deepEqual(report.steps.map((s: any) => `${s.step} ${s.algorithm}`), [
      'copy smooth_image', 'copy smooth_image', 'publish smooth_image', 'test-payload smooth_image',
      'copy image_pipeline', 'copy image_pipeline', 'publish image_pipeline', 'test-payload image_pipeline',
      'test image_pipeline', 'test image_pipeline'
    ])
    for (const s of report.steps) assert.equal(typeof s.duration, 'number')
    assert.deepEqual(report.steps[3].result, { image: [[0.75, 1.5, 0.75], [2.25, 3, 2.25]] })
    assert.deepEqual(report.steps[8].result, { label: 'object', bright_pixels: 4 })
    assert.deepEqual(report.steps[9].result, { label: 'background', bright_pixels: 0 })
    assert.ok(report.bytes > 0)
    assert.match(run.stderr, /copying data:\/\/\.my\/algo_code\/smooth_image\.tar\.gz/)
    // what was copied is the destination user's, verified by the source's CIDs
    const copied = await destination.client.get<any>('/api/v1/data/deploy/algo_code/smooth_image.tar.gz', { query: { stat: 1 } })
    assert.equal(copied.cid, report.steps[0].cid)
    const published = await destination.client.get<any>('/api/v1/algorithms/deploy/image_pipeline')
    assert.deepEqual(published.data.map((d: any) => d.path), ['data://deploy/image_models/labels.json'])
  })

  it('fails with the entrypoint\'s own error when it raises', async () => {
    const run = await paip(['workflow', 'run', 'broken.json'], { env, cwd: dir })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /workflow failed: test-payload image_pipeline: deploy\/image_pipeline@\d+ failed: RuntimeError: segmentation model weights missing: cannot segment/)
    assert.match(run.stdout, /FAIL test-payload +image_pipeline/)
  })

  it('refuses a wrong key at either end (401) and an unreachable source, saying which', async () => {
    const wrongDestination = await paip(['workflow', 'run', 'image_pipeline.json'], { env: { ...env, DESTINATION_API_KEY: 'paip_u_wrong' }, cwd: dir })
    assert.equal(wrongDestination.code, 3)
    assert.match(wrongDestination.stderr, /destination API key is not valid/)
    const wrongSource = await paip(['workflow', 'run', 'image_pipeline.json'], { env: { ...env, SOURCE_API_KEY: 'nope' }, cwd: dir })
    assert.equal(wrongSource.code, 3)
    assert.match(wrongSource.stderr, /source API key is not valid/)
    const w = exampleWorkflow('http://127.0.0.1:1')
    await writeFile(join(dir, 'unreachable.json'), JSON.stringify(w))
    const unreachable = await paip(['workflow', 'run', 'unreachable.json'], { env, cwd: dir })
    assert.equal(unreachable.code, 7)
    assert.match(unreachable.stderr, /127\.0\.0\.1:1 could not be reached/)
    const missing = await paip(['workflow', 'run', 'image_pipeline.json'], { env: { ...env, DESTINATION_API_ADDRESS: '' }, cwd: dir })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /DESTINATION_API_ADDRESS is not set/)
  })
})
