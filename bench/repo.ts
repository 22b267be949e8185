/**
 * Benchmarks of the local protocol repository: add + commit of 10,000 files (target under
 * 2 ms per file) and `log` of a file with 1,000 versions (target under 100 ms).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { initRepository } from '../src/repo/index.js'
import type { BenchOptions, Figure } from './types.js'

const FILES = 10_000
const VERSIONS = 1_000
const LOG_RUNS = 20

function protocol (name: string, variant: number): string {
  return [
    'protocolVersion: 2',
    `name: ${name}`,
    'type: job',
    'prerequisites:',
    '  - name: image',
    '    type: dockerimage',
    '    uri: openpai/standard:python_3.6-pytorch_1.2.0-gpu',
    'taskRoles:',
    '  train:',
    '    instances: 1',
    '    dockerImage: image',
    '    resourcePerInstance: { cpu: 4, memoryMB: 8192, gpu: 1 }',
    '    commands:',
    `      - python train.py --seed ${variant}`,
    ''
  ].join('\n')
}

function ms (value: number): string {
  return `${value.toFixed(value < 10 ? 3 : 1)} ms`
}

interface Out {
  log: (line: string) => void
  report?: (figure: Figure) => void
}

async function addAndCommit (out: Out, signal?: AbortSignal): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paip-bench-repo-'))
  try {
    const repo = await initRepository(dir, { author: 'bench' })
    for (let d = 0; d < 100; d++) await mkdir(join(dir, `team${d}`))
    for (let i = 0; i < FILES; i++) await writeFile(join(dir, `team${i % 100}`, `job${i}.yaml`), protocol(`job${i}`, i))
    signal?.throwIfAborted()
    const t0 = performance.now()
    await repo.add(['.'], { signal })
    const t1 = performance.now()
    const versions = await repo.commit('bench: first versions')
    const t2 = performance.now()
    await repo.close()
    if (versions.length !== FILES) throw new Error(`committed ${versions.length} of ${FILES}`)
    const perFile = (t2 - t0) / FILES
    out.log(`repo: add ${FILES} files ${ms(t1 - t0)} (${ms((t1 - t0) / FILES)}/file, validation included)`)
    out.log(`repo: commit ${FILES} files ${ms(t2 - t1)} (${ms((t2 - t1) / FILES)}/file)`)
    out.log(`repo: add + commit ${ms(perFile)}/file (target < 2 ms) ${perFile < 2 ? 'OK' : 'OVER'}`)
    out.report?.({ name: `repo add + commit of ${FILES} files, per file`, value: perFile, unit: 'ms', target: 2 })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function logOfLongHistory (out: Out, signal?: AbortSignal): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paip-bench-repo-'))
  try {
    const repo = await initRepository(dir, { author: 'bench' })
    const t0 = performance.now()
    for (let v = 1; v <= VERSIONS; v++) {
      signal?.throwIfAborted()
      await writeFile(join(dir, 'mnist.yaml'), protocol('mnist', v))
      await repo.add(['mnist.yaml'])
      await repo.commit(`version ${v}`)
    }
    const t1 = performance.now()
    out.log(`repo: ${VERSIONS} single-file add + commit rounds ${ms(t1 - t0)} (${ms((t1 - t0) / VERSIONS)}/round)`)
    const times: number[] = []
    for (let run = 0; run < LOG_RUNS; run++) {
      const start = performance.now()
      const log = await repo.log('mnist.yaml')
      times.push(performance.now() - start)
      if (log.length !== VERSIONS) throw new Error(`log gave ${log.length} versions`)
    }
    await repo.close()
    times.sort((a, b) => a - b)
    const median = times[Math.floor(times.length / 2)]
    out.report?.({ name: `repo log of a file with ${VERSIONS} versions (median of ${LOG_RUNS})`, value: median, unit: 'ms', target: 100 })
    out.log(`repo: log of a file with ${VERSIONS} versions: median ${ms(median)}, min ${ms(times[0])}, max ${ms(times.at(-1) ?? 0)} over ${LOG_RUNS} runs (target < 100 ms) ${median < 100 ? 'OK' : 'OVER'}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Prints the figures (and reports them through `options.report` under `npm run bench`). */
export async function run (options?: BenchOptions): Promise<void> {
  const out: Out = options == null ? { log: line => { console.log(line) } } : { log: options.log, report: options.report }
  await addAndCommit(out, options?.signal)
  await logOfLongHistory(out, options?.signal)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run()
}
