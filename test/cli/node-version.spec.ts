import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { CHECKOUT, runBin, runCommand } from '../fixtures/bin.js'

/** A `node` on the machine older than 22 (outside the checkout), if there is one. */
function oldNode (): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'node')
    if (dir.includes('node_modules') || !existsSync(file)) continue
    try {
      const version = execFileSync(file, ['--version'], { encoding: 'utf8' }).trim()
      if (Number(version.replace(/^v/, '').split('.')[0]) < 22) return file
    } catch {}
  }
  return undefined
}

/** The system npm, run with the machine's node rather than the project's. */
function systemPath (): string {
  return (process.env.PATH ?? '').split(delimiter).filter(dir => !dir.includes('node_modules')).join(delimiter)
}

describe('cli: the Node.js version', function () {
  this.timeout(60_000)

  it('bin/paip on a Node older than 22 says which node it is and what to do, and exits 1', async () => {
    // pretend to be Node 20 in the test's own node, then (below) the machine's real old one
    const fake = 'data:text/javascript,' + encodeURIComponent("Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } }); Object.defineProperty(process, 'version', { value: 'v20.20.2' })")
    const run = await runBin(['status'], { nodeArgs: ['--import', fake] })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /^paip: needs Node\.js 22 or newer, but the `node` running it \(.+\) is v20\.20\.2\./)
    assert.match(run.stderr, /npx paip/)
    assert.doesNotMatch(run.stderr, /withResolvers|TypeError|\n\s+at /)
  })

  it('bin/paip and bin/testbed on the machine\'s own old node explain instead of crashing', async function () {
    const node = oldNode()
    if (node == null) this.skip()
    for (const bin of ['paip', 'testbed']) {
      const run = await runCommand(node, [join(CHECKOUT, 'bin', bin), '--help'])
      assert.equal(run.code, 1, run.stderr)
      assert.match(run.stderr, new RegExp(`^${bin}: needs Node\\.js 22 or newer`))
    }
  })

  it('bin/paip runs on the Node the project brings', async () => {
    const run = await runBin(['--version'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^\d+\.\d+\.\d+/)
  })

  it('npm ci on the machine\'s npm prints no engine warnings (npm may run on Node 20)', async function () {
    this.timeout(120_000)
    const path = systemPath()
    const npm = path.split(delimiter).map(dir => join(dir, 'npm')).find(existsSync)
    if (npm == null) this.skip()
    const run = await runCommand(npm, ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { env: { PATH: path }, deadline: 110_000 })
    assert.equal(run.code, 0, run.stderr)
    assert.doesNotMatch(run.stdout + run.stderr, /EBADENGINE|npm warn/)
  })
})
