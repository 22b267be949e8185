/**
 * `npm run bench -- report [bench ...]`: the figures of the benches run, with the machine they
 * ran on, kept in `docs/benchmarks.json` (one entry per bench, so a partial run replaces only its
 * own benches) and rendered to `docs/benchmarks.md` with SVG plots in `docs/benchmarks/`.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { lineChart } from './svg.js'
import { meets } from './types.js'
import type { Series } from './svg.js'
import type { Figure } from './types.js'

export interface Machine {
  cpu: string
  cores: number
  ramGiB: number
  os: string
  node: string
  date: string
  commit: string
  /** 1-minute load averages when the bench started and ended: above 0 means other work ran too. */
  load: [number, number]
}

export interface AreaResult {
  machine: Machine
  figures: Figure[]
  /** Set when the bench threw: its message. */
  failed?: string
  seconds: number
}

export interface Results { areas: Record<string, AreaResult> }

/** Titles of the areas (bench module names) and the order they appear in. */
const AREAS: Record<string, string> = {
  node: 'Daemon',
  netns: 'Latency testbed (network namespaces)',
  marketplace: 'Marketplace: publish and search protocols',
  catalog: 'Catalog: datasets search and transfer',
  gateway: 'Search against a central gateway (seed 002)',
  transfer: 'Transfer against a raw TCP copy',
  scale: 'Scale simulation (memory transport, real kad-dht)',
  helia: 'Against helia (js IPFS) in the same run',
  jobs: 'Jobs',
  algorithms: 'Algorithms and workflows',
  fed: 'Federated learning',
  protocol: 'Protocol validation',
  repo: 'Repository',
  portal: 'Portal'
}

const PLOTS: Record<string, { title: string, xLabel: string, yLabel: string }> = {
  'latency-vs-n': { title: 'Latency vs. number of nodes', xLabel: 'nodes (N)', yLabel: 'ms' },
  'hops-vs-n': { title: 'DHT lookup hops vs. number of nodes', xLabel: 'nodes (N)', yLabel: 'hops' },
  throughput: { title: 'Transfer throughput', xLabel: 'sources holding the data', yLabel: 'MiB/s' }
}

export async function machine (load: [number, number]): Promise<Machine> {
  let commit = 'unknown'
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'])
    commit = stdout.trim()
  } catch {}
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit,
    load
  }
}

export async function readResults (file: string): Promise<Results> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Results
  } catch (err: any) {
    if (err.code === 'ENOENT') return { areas: {} }
    throw err
  }
}

/** Writes `<dir>/benchmarks.json`, `<dir>/benchmarks.md` and the plots in `<dir>/benchmarks/`. */
export async function writeReport (dir: string, results: Results): Promise<string> {
  await fs.mkdir(path.join(dir, 'benchmarks'), { recursive: true })
  await fs.writeFile(path.join(dir, 'benchmarks.json'), JSON.stringify(results, null, 2) + '\n')
  const names = Object.keys(results.areas).sort((a, b) => order(a) - order(b) || a.localeCompare(b))
  const md: string[] = []
  md.push('# Benchmarks', '')
  md.push('Written by `npm run bench -- report` (all benches) or `npm run bench -- report <bench ...>`',
    '(only those, keeping the others\' last figures). Every figure comes from a run on the machine',
    'named under its area; the plots are drawn by the bench itself (`bench/svg.ts`). All nodes of a',
    'bench run in one process unless the area says otherwise. Verdict: **met**, **MISSED** (with',
    'the measured reason next to it) or blank where there is no target.', '')
  const machines = [...new Map(names.map(n => [machineKey(results.areas[n].machine), results.areas[n].machine])).values()]
  md.push('## Machines', '')
  md.push('| CPU | cores | RAM | OS | Node |', '| --- | --- | --- | --- | --- |')
  for (const m of machines) md.push(`| ${m.cpu} | ${m.cores} | ${m.ramGiB} GiB | ${m.os} | ${m.node} |`)
  md.push('')
  const dates = names.map(n => results.areas[n].machine.date).sort()
  const commits = [...new Set(names.map(n => results.areas[n].machine.commit))]
  if (dates.length > 0) md.push(`Runs from ${dates[0]} to ${dates[dates.length - 1]}, at git commit${commits.length > 1 ? 's' : ''} ${commits.join(', ')} (each area below says its own).`, '')
  const busy = machines.some(m => Math.max(...m.load) > 1)
  md.push(busy
    ? 'The machine is shared: other work (builds and tests of other engineers) ran at the same time, as the load averages above show, so latency figures are upper bounds and ratios measured in one run are the fairer comparison.'
    : 'The load averages above show how busy the machine was while the benches ran.', '')

  const plots = collectPlots(names.flatMap(n => results.areas[n].figures))
  if (plots.size > 0) {
    md.push('## Plots', '')
    for (const [id, series] of plots) {
      const meta = PLOTS[id] ?? { title: id, xLabel: 'x', yLabel: 'value' }
      await fs.writeFile(path.join(dir, 'benchmarks', `${id}.svg`), lineChart({ ...meta, series }))
      md.push(`![${meta.title}](benchmarks/${id}.svg)`, '')
    }
  }

  const missed: string[] = []
  for (const name of names) {
    const area = results.areas[name]
    md.push(`## ${AREAS[name] ?? name} (\`${name}\`)`, '')
    md.push(`Ran ${area.machine.date} at ${area.machine.commit} in ${Math.round(area.seconds)} s; load ${area.machine.load[0].toFixed(2)} → ${area.machine.load[1].toFixed(2)}.`, '')
    if (area.failed != null) md.push(`**The bench failed:** ${oneLine(area.failed)}`, '')
    if (area.figures.length === 0) { md.push('No figures.', ''); continue }
    md.push('| figure | value | target | verdict | notes |', '| --- | --- | --- | --- | --- |')
    for (const f of area.figures) {
      const ok = meets(f)
      const verdict = ok == null ? '' : ok ? 'met' : '**MISSED**'
      const notes = [f.note, f.anchor == null ? undefined : `anchor: ${f.anchor}`,
        ok === false ? `**why:** ${f.reason ?? 'reason not measured yet'}` : f.reason].filter(s => s != null).map(s => oneLine(s as string))
      const target = f.target == null ? '' : `${f.higherIsBetter === true ? '≥' : '≤'} ${format(f.target)} ${f.unit}`
      md.push(`| ${cell(f.name)} | ${format(f.value)} ${cell(f.unit)} | ${target} | ${verdict} | ${cell(notes.join('; '))} |`)
      if (ok === false) missed.push(`${name}: ${f.name}`)
    }
    md.push('')
  }
  md.push('## Missed targets', '')
  md.push(missed.length === 0 ? 'None.' : missed.map(m => `- ${m}`).join('\n'), '')
  const file = path.join(dir, 'benchmarks.md')
  await fs.writeFile(file, md.join('\n'))
  return file
}

function collectPlots (figures: Figure[]): Map<string, Series[]> {
  const plots = new Map<string, Map<string, Array<[number, number]>>>()
  for (const f of figures) {
    if (f.plot == null || !Number.isFinite(f.value)) continue
    const plot = plots.get(f.plot.id) ?? new Map<string, Array<[number, number]>>()
    plots.set(f.plot.id, plot)
    const points = plot.get(f.plot.series) ?? []
    plot.set(f.plot.series, points)
    points.push([f.plot.x, f.value])
  }
  return new Map([...plots].map(([id, series]) => [id, [...series].map(([label, points]) => ({ label, points }))]))
}

function order (name: string): number {
  const i = Object.keys(AREAS).indexOf(name)
  return i === -1 ? 1000 : i
}

function machineKey (m: Machine): string { return `${m.cpu}|${m.cores}|${m.ramGiB}|${m.os}|${m.node}` }

function format (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(Math.abs(n) >= 10 ? 1 : 2)
}

function oneLine (s: string): string { return s.split('\n')[0] }

function cell (s: string): string { return s.replace(/\|/g, '\\|').replace(/\n/g, ' ') }
