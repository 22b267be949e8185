import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CHECKOUT } from '../fixtures/bin.js'

/** A file this spec writes into src/ for one check; removed after it (and before, if a killed run left one). */
const PROBE = 'zz-lint-probe'

interface Run { code: number | null, output: string }

/** Runs a tool from node_modules/.bin in the checkout, with `input` on stdin. */
async function tool (name: string, args: string[], input = ''): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(join(CHECKOUT, 'node_modules', '.bin', name), args, { cwd: CHECKOUT, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, output }) })
    child.stdin.end(input)
  })
}

async function npmLint (): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'lint'], { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, output }) })
  })
}

/** The dependency rules on some files, as `npm run lint` runs them. */
async function cruise (...files: string[]): Promise<Run> {
  return await tool('depcruise', [...files, '--output-type', 'err'])
}

/** The linter on some files, as `npm run lint` runs it. */
async function biome (...files: string[]): Promise<Run> {
  return await tool('biome', ['lint', ...files])
}

async function removeProbes (): Promise<void> {
  for (const dir of ['catalog', 'net', 'storage', 'api']) {
    const names = await readdir(join(CHECKOUT, 'src', dir)).catch(() => [])
    for (const name of names) if (name.startsWith(PROBE)) await rm(join(CHECKOUT, 'src', dir, name), { force: true })
  }
}

async function probe (dir: string, name: string, text: string): Promise<string> {
  const path = `src/${dir}/${PROBE}-${name}.ts`
  await writeFile(join(CHECKOUT, path), text)
  return path
}

/** Each violation the rules must catch, as a file written into src/ for the run. */
const PROBES: Array<[dir: string, name: string, text: string]> = [
  ['catalog', 'upward', "import type { NodeComponents } from '../node/components.js'\nexport type Bag = NodeComponents\n"],
  ['net', 'feature', "import { createCatalog } from '../catalog/index.js'\nexport const make = createCatalog\n"],
  ['api', 'node', "import { API_PORT } from '../node/constants.js'\nexport const port = API_PORT\n"],
  ['storage', 'a', "import { b } from './zz-lint-probe-b.js'\nexport const a = (): number => b() + 1\n"],
  ['storage', 'b', "import type { a } from './zz-lint-probe-a.js'\nexport const b = (): number => 1\nexport type A = typeof a\n"],
  // jobs imports the catalog: a catalog file that imports jobs closes a folder cycle
  ['catalog', 'jobs', "import type { Jobs } from '../jobs/index.js'\nexport type J = Jobs\n"],
  ['catalog', 'floating', 'async function save (): Promise<void> {}\nexport function go (): void {\n  save()\n}\n'],
  ['catalog', 'equals', 'export function same (a: string, b: string): boolean {\n  return a == b\n}\n'],
  ['catalog', 'types', "import { Catalog } from './index.js'\nexport function name (c: Catalog): string {\n  return String(c)\n}\n"],
  ['catalog', 'long', `export function long (): number {\n  let n = 0\n${'  n++\n'.repeat(80)}  return n\n}\n`]
]

describe('structure rules (npm run lint)', function () {
  this.timeout(180_000)
  let clean: Run
  let rules: Run
  let linter: Run

  // one run of each tool over every probe at once (the tools take seconds each on a loaded machine)
  before(async () => {
    await removeProbes()
    clean = await npmLint()
    const files: string[] = []
    try {
      for (const [dir, name, text] of PROBES) files.push(await probe(dir, name, text))
      rules = await cruise('src')
      linter = await biome(...files)
    } finally {
      await removeProbes()
    }
  })

  it('passes on the repository as it is', () => {
    assert.equal(clean.code, 0, clean.output)
  })

  it('fails when a feature imports the composition root, even for a type', () => {
    assert.notEqual(rules.code, 0, rules.output)
    assert.match(rules.output, /features-never-import-upward: src\/catalog\/zz-lint-probe-upward\.ts → src\/node\/components\.ts/)
  })

  it('fails when a leaf imports a feature', () => {
    assert.match(rules.output, /leaves-import-only-leaves: src\/net\/zz-lint-probe-feature\.ts → src\/catalog\/index\.ts/)
  })

  it('fails when the API imports the node', () => {
    assert.match(rules.output, /api-receives-its-dependencies: src\/api\/zz-lint-probe-node\.ts → src\/node\/constants\.ts/)
  })

  it('fails on a cycle between two modules', () => {
    assert.match(rules.output, /no-circular: src\/storage\/zz-lint-probe-[ab]\.ts/)
  })

  it('fails on a cycle between two folders, even when no file is in one', () => {
    assert.match(rules.output, /no-circular-folders: src\/(catalog|jobs) →/)
  })

  it('fails on a floating promise', () => {
    assert.notEqual(linter.code, 0, linter.output)
    assert.match(linter.output, /zz-lint-probe-floating\.ts:3:3 lint\/nursery\/noFloatingPromises/)
  })

  it('fails on == between values that are not null', () => {
    assert.match(linter.output, /zz-lint-probe-equals\.ts:2:\d+ lint\/suspicious\/noDoubleEquals/)
  })

  it('fails on a value import used only as a type', () => {
    assert.match(linter.output, /zz-lint-probe-types\.ts:1:\d+ lint\/style\/useImportType/)
  })

  it('fails on a function over 80 lines', () => {
    assert.match(linter.output, /zz-lint-probe-long\.ts:1:\d+ lint\/complexity\/noExcessiveLinesPerFunction/)
    assert.match(linter.output, /× This function has too many lines \(\d+\)/)
  })
})
