import path from 'node:path'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { machine, readResults, writeReport } from './report.js'
import { meets } from './types.js'
import type { AreaResult } from './report.js'
import type { BenchOptions, Figure } from './types.js'

/** A bench module: `run` reports figures (or returns them, or prints its own). */
type BenchModule = { run: (options: BenchOptions) => Promise<unknown> }

/**
 * Every benchmark, by name: `npm run bench` runs them all, `npm run bench -- node` only some,
 * `npm run bench -- report [name ...]` also writes docs/benchmarks.md (see bench/report.ts).
 * ADD A BENCH: write `bench/<name>.ts` exporting `run: Bench` and add one line here (and its
 * title in AREAS of bench/report.ts).
 */
const BENCHES: Record<string, () => Promise<BenchModule>> = {
  node: async () => import('./node.js'),
  netns: async () => import('./netns.js'),
  protocol: async () => import('./protocol.js'),
  repo: async () => import('./repo.js'),
  marketplace: async () => import('./marketplace.js'),
  catalog: async () => import('./catalog.js'),
  jobs: async () => import('./jobs.js'),
  algorithms: async () => import('./algorithms.js'),
  fed: async () => import('./fed.js'),
  portal: async () => import('./portal.js'),
  scale: async () => import('./scale.js'),
  gateway: async () => import('./gateway.js'),
  transfer: async () => import('./transfer.js'),
  helia: async () => import('./helia.js')
}

/** Where the report goes: the repo's docs/, or PAIP_BENCH_DOCS (a run of its own, merged later). */
const DOCS = process.env.PAIP_BENCH_DOCS ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs')

async function main (): Promise<number> {
  let wanted = process.argv.slice(2).filter(a => !a.startsWith('-'))
  const writing = wanted[0] === 'report'
  if (writing) wanted = wanted.slice(1)
  const unknown = wanted.filter(name => BENCHES[name] == null)
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')} (and "report" first to write docs/benchmarks.md)\n`)
    return 2
  }
  const controller = new AbortController()
  process.once('SIGINT', () => { controller.abort() })
  // re-read before every write: two bench runs at once each keep the other's areas
  const save = async (name: string, area: AreaResult): Promise<string> => {
    const results = await readResults(path.join(DOCS, 'benchmarks.json'))
    results.areas[name] = area
    return await writeReport(DOCS, results)
  }
  let failed = false
  let written = Promise.resolve()
  for (const [name, load] of Object.entries(BENCHES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue
    if (controller.signal.aborted) break
    process.stdout.write(`\n== ${name}\n`)
    const figures: Figure[] = []
    const started = performance.now()
    const loadBefore = os.loadavg()[0]
    let error: string | undefined
    try {
      const { run } = await load()
      const report = (figure: Figure): void => {
        figures.push(figure)
        process.stdout.write(format(figure) + '\n')
        // streamed: a long bench stopped half-way keeps what it measured
        if (writing) {
          written = written.then(async () => {
            await save(name, { machine: await machine([loadBefore, os.loadavg()[0]]), figures: [...figures], seconds: (performance.now() - started) / 1000, failed: 'stopped before it ended (figures so far)' })
          }).catch(() => {})
        }
      }
      const returned = await run({ signal: controller.signal, log: line => { process.stdout.write(`   ${line}\n`) }, report })
      // figures both reported and returned are printed and kept once
      for (const figure of (Array.isArray(returned) ? returned as Figure[] : [])) if (!figures.includes(figure)) report(figure)
    } catch (err: any) {
      failed = true
      error = String(err?.stack ?? err)
      process.stdout.write(`   FAILED: ${error}\n`)
    }
    await written
    if (writing) {
      const area: AreaResult = { machine: await machine([loadBefore, os.loadavg()[0]]), figures, seconds: (performance.now() - started) / 1000 }
      if (error != null) area.failed = error
      // written after every bench, so a later crash loses nothing
      const file = await save(name, area)
      process.stdout.write(`   wrote ${path.relative(process.cwd(), file)}\n`)
    }
  }
  return failed ? 1 : 0
}

function format (figure: Figure): string {
  const value = `${round(figure.value)} ${figure.unit}`
  let verdict = ''
  const ok = meets(figure)
  if (ok != null) verdict = `  target ${figure.higherIsBetter === true ? '>=' : '<='} ${figure.target} ${figure.unit}  ${ok ? 'ok' : 'MISSED'}`
  const notes = [figure.note, figure.reason == null ? undefined : `why: ${figure.reason}`].filter(n => n != null)
  return `   ${figure.name.padEnd(44)} ${value.padStart(14)}${verdict}${notes.length === 0 ? '' : `  (${notes.join('; ')})`}`
}

function round (n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(Math.abs(n) >= 10 ? 1 : 2)
}

process.exitCode = await main()
