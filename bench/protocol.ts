/**
 * Protocol validation benchmark (issue 3): validate 10,000 protocol files from disk; target
 * over 2,000 files/s. Also in-memory validation and how fast a YAML bomb is refused.
 * Run: `npm run bench -- protocol`, or `node dist/bench/protocol.js`.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { validateProtocol, validateProtocolFiles } from '../src/protocol/index.js'
import type { BenchOptions, Figure } from './types.js'

const FILES = 10_000
const FILES_PER_SECOND_TARGET = 2_000
const BOMB_MS_TARGET = 100
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The real-world valid corpus and the project's examples: the texts the files are made of. */
async function baseTexts (): Promise<string[]> {
  const texts: string[] = []
  for (const dir of [join(ROOT, 'test/fixtures/protocols/valid'), join(ROOT, 'protocols')]) {
    for (const file of (await readdir(dir)).filter(f => /\.ya?ml$/.test(f)).sort()) texts.push(await readFile(join(dir, file), 'utf8'))
  }
  if (texts.length === 0) throw new Error('no protocol files to benchmark with')
  return texts
}

function cpuSecondsSince (start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

function bomb (): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  const names = 'abcdefghi'
  for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`)
  return lines.join('\n') + '\n'
}

export async function run (options: Partial<BenchOptions> = {}): Promise<void> {
  const log = options.log ?? ((line: string) => { process.stdout.write(`   ${line}\n`) })
  const report = options.report ?? ((f: Figure) => {
    const target = f.target == null ? '' : ` (target ${f.higherIsBetter === true ? '>=' : '<='} ${f.target})`
    process.stdout.write(`   ${f.name}: ${f.value.toFixed(f.value >= 100 ? 0 : 2)} ${f.unit}${target}${f.note == null ? '' : `  ${f.note}`}\n`)
  })
  const texts = await baseTexts()
  const dir = await mkdtemp(join(tmpdir(), 'paip-bench-protocol-'))
  try {
    log(`writing ${FILES} protocol files (${texts.length} real-world and example protocols, each file distinct)`)
    const paths: string[] = []
    for (let i = 0; i < FILES; i++) {
      options.signal?.throwIfAborted()
      const path = join(dir, `p${i}.yaml`)
      await writeFile(path, `# variant ${i}\n${texts[i % texts.length]}`)
      paths.push(path)
    }
    // warm up: compile the schema, load the code
    for (const text of texts) validateProtocol(text)

    let started = performance.now()
    let cpu = process.cpuUsage()
    const results = await validateProtocolFiles(paths, { signal: options.signal })
    let seconds = (performance.now() - started) / 1000
    let cpuSeconds = cpuSecondsSince(cpu)
    const invalid = results.filter(r => !r.ok).length
    if (invalid > 0) throw new Error(`${invalid} benchmark files did not validate`)
    report({ name: `validate ${FILES} files from disk`, value: FILES / seconds, unit: 'files/s', target: FILES_PER_SECOND_TARGET, higherIsBetter: true, note: `${seconds.toFixed(2)} s wall` })
    report({ name: `validate ${FILES} files from disk, per CPU second`, value: FILES / cpuSeconds, unit: 'files/s', target: FILES_PER_SECOND_TARGET, higherIsBetter: true, note: 'this process\'s CPU time: fair on a shared machine' })

    const bytes = await Promise.all(paths.slice(0, 2_000).map(async p => new Uint8Array(await readFile(p))))
    started = performance.now()
    cpu = process.cpuUsage()
    for (let i = 0; i < FILES; i++) validateProtocol(bytes[i % bytes.length])
    seconds = (performance.now() - started) / 1000
    cpuSeconds = cpuSecondsSince(cpu)
    report({ name: 'validate in memory', value: FILES / seconds, unit: 'files/s', target: FILES_PER_SECOND_TARGET, higherIsBetter: true, note: `${(FILES / cpuSeconds).toFixed(0)} files per CPU second` })

    const text = bomb()
    started = performance.now()
    const result = validateProtocol(text)
    const ms = performance.now() - started
    if (result.ok || result.errors[0]?.rule !== 'yaml-bomb') throw new Error('the YAML bomb was not refused')
    report({ name: 'refuse a billion-laughs YAML bomb', value: ms, unit: 'ms', target: BOMB_MS_TARGET })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) await run()
