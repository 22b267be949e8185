import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CHECKOUT, runBin } from '../fixtures/bin.js'

type CliEntry = (root?: URL, env?: Record<string, string | undefined>) => string
const { cliEntry } = await import(pathToFileURL(join(CHECKOUT, 'bin/cli-entry.js')).href) as { cliEntry: CliEntry }

describe('cli: the bundled CLI', function () {
  this.timeout(60_000)
  let root: string
  const at = (seconds: number): Date => new Date(1_700_000_000_000 + seconds * 1000)

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'paip-bundle-'))
    await mkdir(join(root, 'dist/cli'), { recursive: true })
    await mkdir(join(root, 'dist/src/cli'), { recursive: true })
    await writeFile(join(root, 'dist/src/cli/main.js'), '')
    await writeFile(join(root, 'dist/src/errors.js'), '')
    await writeFile(join(root, 'dist/cli/main.js'), '')
    await writeFile(join(root, 'dist/cli/inputs.json'), JSON.stringify(['../src/cli/main.js', '../src/errors.js']))
    for (const file of ['dist/src/cli/main.js', 'dist/src/errors.js']) await utimes(join(root, file), at(0), at(0))
    await utimes(join(root, 'dist/cli/main.js'), at(10), at(10))
  })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  const entry = (env: Record<string, string | undefined> = {}): string => cliEntry(pathToFileURL(root + '/'), env).slice(pathToFileURL(root).href.length + 1)

  it('bin/paip runs the bundle when it is newer than every compiled file it was made of', () => {
    assert.equal(entry(), 'dist/cli/main.js')
  })

  it('runs tsc\'s output when a compiled file changed after the bundle (`tsc` alone ran since)', async () => {
    await utimes(join(root, 'dist/src/errors.js'), at(20), at(20))
    assert.equal(entry(), 'dist/src/cli/main.js')
  })

  it('runs tsc\'s output when there is no bundle, a file it was made of is gone, or PAIP_UNBUNDLED=1', async () => {
    assert.equal(entry({ PAIP_UNBUNDLED: '1' }), 'dist/src/cli/main.js')
    await rm(join(root, 'dist/src/errors.js'))
    assert.equal(entry(), 'dist/src/cli/main.js')
    await rm(join(root, 'dist/cli'), { recursive: true })
    assert.equal(entry(), 'dist/src/cli/main.js')
  })

  it('the bundle and tsc\'s output print the same help (every command group loaded)', async function () {
    this.timeout(240_000)
    const bundled = await runBin(['--help'], { env: { PAIP_UNBUNDLED: undefined }, deadline: 120_000 })
    const unbundled = await runBin(['--help'], { env: { PAIP_UNBUNDLED: '1' }, deadline: 120_000 })
    assert.equal(bundled.code, 0, bundled.stderr)
    assert.equal(bundled.stdout, unbundled.stdout)
  })
})
