import type { BenchOptions, Figure } from './types.js'

/** A bench module: `run` reports figures (or returns them, or prints its own). */
type BenchModule = { run: (options: BenchOptions) => Promise<Figure[] | undefined | void> }

/**
 * Every benchmark, by name: `npm run bench` runs them all, `npm run bench -- node` only some.
 * ADD A BENCH: write `bench/<name>.ts` exporting `run: Bench` and add one line here.
 */
const BENCHES: Record<string, () => Promise<BenchModule>> = {
  node: async () => import('./node.js'),
  protocol: async () => import('./protocol.js'),
  repo: async () => import('./repo.js'),
  marketplace: async () => import('./marketplace.js'),
  catalog: async () => import('./catalog.js'),
  jobs: async () => import('./jobs.js'),
  algorithms: async () => import('./algorithms.js'),
  fed: async () => import('./fed.js'),
  portal: async () => import('./portal.js')
}

async function main (): Promise<number> {
  const wanted = process.argv.slice(2).filter(a => !a.startsWith('-'))
  const unknown = wanted.filter(name => BENCHES[name] == null)
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`)
    return 2
  }
  const controller = new AbortController()
  process.once('SIGINT', () => { controller.abort() })
  let failed = false
  for (const [name, load] of Object.entries(BENCHES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue
    process.stdout.write(`\n== ${name}\n`)
    try {
      const { run } = await load()
      const report = (figure: Figure): void => { process.stdout.write(format(figure) + '\n') }
      const figures = await run({ signal: controller.signal, log: line => { process.stdout.write(`   ${line}\n`) }, report })
      for (const figure of figures ?? []) report(figure)
    } catch (err: any) {
      failed = true
      process.stdout.write(`   FAILED: ${err.stack ?? err}\n`)
    }
  }
  return failed ? 1 : 0
}

function format (figure: Figure): string {
  const value = `${round(figure.value)} ${figure.unit}`
  let verdict = ''
  if (figure.target != null) {
    const ok = figure.higherIsBetter === true ? figure.value >= figure.target : figure.value <= figure.target
    verdict = `  target ${figure.higherIsBetter === true ? '>=' : '<='} ${figure.target} ${figure.unit}  ${ok ? 'ok' : 'MISSED'}`
  }
  return `   ${figure.name.padEnd(44)} ${value.padStart(14)}${verdict}${figure.note == null ? '' : `  (${figure.note})`}`
}

function round (n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(Math.abs(n) >= 10 ? 1 : 2)
}

process.exitCode = await main()
