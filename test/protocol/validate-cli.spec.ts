import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dump } from 'js-yaml'
import { paip } from '../fixtures/cli.js'
import { CORPUS, EXAMPLES, minimal } from './helpers.js'

describe('protocol: paip validate', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-validate-'))
    await writeFile(join(dir, 'good.yaml'), dump(minimal()))
    const bad = minimal()
    bad.taskRoles.train.dockerImage = 'ghost'
    bad.version = 1
    await writeFile(join(dir, 'bad.yaml'), dump(bad))
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('prints each problem as file:line:col: severity: path: message and exits 1 when a file has errors', async () => {
    const run = await paip(['validate', 'good.yaml', 'bad.yaml'], { cwd: dir })
    assert.equal(run.code, 1, run.stderr)
    const lines = run.stdout.trim().split('\n')
    assert.ok(lines.some(l => /^bad\.yaml:\d+:\d+: error: \/taskRoles\/train\/dockerImage: prerequisite `ghost` does not exist/.test(l)), run.stdout)
    assert.ok(lines.some(l => /^bad\.yaml:\d+:\d+: warning: \/version: /.test(l)), run.stdout)
    assert.ok(!lines.some(l => l.startsWith('good.yaml')), run.stdout)
    assert.match(lines.at(-1) ?? '', /2 file\(s\): 1 valid, 1 invalid; 1 error\(s\), 1 warning\(s\)/)
  })

  it('exits 0 when every file is valid, even with warnings', async () => {
    const run = await paip(['validate', join(dir, 'good.yaml')])
    assert.equal(run.code, 0)
  })

  it('makes the spec\'s rules errors under --strict', async () => {
    const bad = minimal()
    bad.version = 1
    await writeFile(join(dir, 'numeric-version.yaml'), dump(bad))
    assert.equal((await paip(['validate', 'numeric-version.yaml'], { cwd: dir })).code, 0)
    const strict = await paip(['validate', '--strict', 'numeric-version.yaml'], { cwd: dir })
    assert.equal(strict.code, 1)
    assert.match(strict.stdout, /numeric-version\.yaml:\d+:1: error: \/version:/)
    await rm(join(dir, 'numeric-version.yaml'))
  })

  it('prints a report for programs under --json', async () => {
    const run = await paip(['--json', 'validate', 'good.yaml', 'bad.yaml', 'missing.yaml'], { cwd: dir })
    assert.equal(run.code, 1)
    const report = run.json()
    assert.equal(report.ok, false)
    assert.deepEqual(report.files.map((f: any) => [f.file, f.ok]), [['good.yaml', true], ['bad.yaml', false], ['missing.yaml', false]])
    const [error] = report.files[1].errors
    assert.equal(error.path, '/taskRoles/train/dockerImage')
    assert.equal(error.rule, 'undeclared-prerequisite')
    assert.equal(typeof error.line, 'number')
    assert.equal(report.files[2].errors[0].rule, 'io')
  })

  it('walks directories for *.yaml and *.yml files', async () => {
    const run = await paip(['--json', 'validate', join(CORPUS, 'invalid')])
    const files = (await readdir(join(CORPUS, 'invalid'))).filter(f => /\.ya?ml$/.test(f))
    assert.equal(run.json().files.length, files.length)
    assert.ok(run.json().files.every((f: any) => !f.ok))
  })

  it('refuses a file over --max-bytes', async () => {
    const run = await paip(['--json', 'validate', '--max-bytes', '10', 'good.yaml'], { cwd: dir })
    assert.equal(run.code, 1)
    assert.equal(run.json().files[0].errors[0].rule, 'too-large')
    assert.equal((await paip(['validate', '--max-bytes', 'lots', 'good.yaml'], { cwd: dir })).code, 2)
  })

  it('needs no node home, repository or daemon', async () => {
    const run = await paip(['validate', 'good.yaml'], { cwd: dir, env: { PAIP_HOME: join(dir, 'no-such-home') } })
    assert.equal(run.code, 0)
    assert.deepEqual((await readdir(dir)).sort(), ['bad.yaml', 'good.yaml'])
  })

  it('has --help with an example', async () => {
    const run = await paip(['validate', '--help'])
    assert.equal(run.code, 0)
    assert.match(run.stdout, /\$ paip validate/)
  })

  it('validates the project\'s example protocols with no problem, even under --strict', async () => {
    const run = await paip(['--json', 'validate', '--strict', EXAMPLES])
    assert.equal(run.code, 0, run.stdout)
    const report = run.json()
    assert.ok(report.files.length >= 5)
    assert.ok(report.files.some((f: any) => f.file.endsWith('mnist.yaml')))
    for (const file of report.files) assert.deepEqual([...file.errors, ...file.warnings], [], file.file)
  })
})
