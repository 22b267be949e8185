import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fedlr, startFedGrid } from '../test/fed/fixtures.js'
import type { Bench, Figure } from './types.js'
import type { FedGrid } from '../test/fed/fixtures.js'
import type { FedRun } from '../src/fed/index.js'

/**
 * Federated training on a 4-node loopback grid (the fedlr example, 10 rounds, with and without
 * `--secure`): accuracy per round against central training with as many epochs, the
 * per-round overhead beyond the workers' own compute (median), and the bytes moved per round
 * against the model's size. Writes the accuracy plot to docs/federated-accuracy.svg (or
 * $PAIP_FED_SVG).
 */

const ROUNDS = 10
const EPOCHS = 5

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function accuracyOf (grid: FedGrid, model: string): Promise<number> {
  const resolved = await grid.nodes[0].node.components.catalog.resolve('model', model)
  const file = resolved.files.find(f => f.path === 'model.json')
  if (file == null) throw new Error(`model ${model} has no model.json`)
  const dir = await mkdtemp(path.join(tmpdir(), 'paip-fed-eval-'))
  try {
    await copyFile(file.blobPath, path.join(dir, 'model.json'))
    return (await fedlr(['evaluate', dir, path.join(grid.data, 'test')])).accuracy
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A line chart of accuracy (%) per round, one polyline per series. */
export function accuracySvg (series: Array<{ name: string, color: string, points: number[], dash?: boolean }>): string {
  const W = 640; const H = 360; const L = 60; const R = 170; const T = 30; const B = 50
  const all = series.flatMap(s => s.points)
  const lo = Math.max(0, Math.floor((Math.min(...all) * 100 - 2) / 5) * 5)
  const hi = Math.min(100, Math.ceil((Math.max(...all) * 100 + 1) / 5) * 5)
  const n = Math.max(...series.map(s => s.points.length))
  const x = (i: number): number => L + (W - L - R) * (n === 1 ? 0 : i / (n - 1))
  const y = (v: number): number => T + (H - T - B) * (1 - (v * 100 - lo) / (hi - lo))
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="14">Test accuracy per round: fedlr on 4 nodes (non-IID) vs central training</text>`
  ]
  for (let v = lo; v <= hi; v += 5) {
    const yy = y(v / 100).toFixed(1)
    out.push(`<line x1="${L}" y1="${yy}" x2="${W - R}" y2="${yy}" stroke="#ddd"/>`, `<text x="${L - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v}%</text>`)
  }
  for (let i = 0; i < n; i++) out.push(`<text x="${x(i).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${i + 1}</text>`)
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">round</text>`)
  series.forEach((s, k) => {
    const pts = s.points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const p of pts.split(' ')) { const [px, py] = p.split(','); out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${s.color}"/>`) }
    const ly = T + 10 + k * 20
    out.push(`<line x1="${W - R + 15}" y1="${ly}" x2="${W - R + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="6 4"' : ''}/>`, `<text x="${W - R + 46}" y="${ly}" dominant-baseline="middle">${s.name}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

export const run: Bench = async ({ log, report, signal }) => {
  const figures: Figure[] = []
  const grid = await startFedGrid({ nodes: 4 })
  try {
    const fed = grid.nodes[0].node.components.fed
    const modelBytes = (await grid.nodes[0].node.components.catalog.get('model', 'fedlr-init')).size
    const curves: Record<string, number[]> = {}
    for (const secure of [false, true]) {
      const label = secure ? 'secure' : 'plain'
      log(`${label}: ${ROUNDS} rounds on 4 nodes`)
      const started = await fed.run({ train: grid.train, aggregate: grid.aggregate, dataset: '#fedlr-demo', rounds: ROUNDS, minNodes: 4, init: 'fedlr-init', parameters: { epochs: String(EPOCHS) }, secure, name: `bench-${label}` })
      const done: FedRun = await fed.wait(started.id, { signal })
      if (done.state !== 'succeeded') throw new Error(`the ${label} run ${done.state}: ${done.reason}`)
      curves[label] = []
      for (const r of done.history) curves[label].push(await accuracyOf(grid, r.model as string))
      const overhead = done.history.map(r => (r.finishedAt as number) - r.startedAt - Math.max(...r.workers.map(w => w.computeMs ?? 0)))
      const bytes = done.history.map(r => (r.bytesIn ?? 0) + (r.bytesOut ?? 0) + modelBytes * r.workers.filter(w => w.peer !== fed.self).length)
      report({ name: `fed ${label}: round time (median)`, value: median(done.history.map(r => (r.finishedAt as number) - r.startedAt)), unit: 'ms' })
      report({ name: `fed ${label}: overhead beyond compute (median)`, value: median(overhead), unit: 'ms', note: 'round time minus the slowest worker\'s training job' })
      report({ name: `fed ${label}: aggregation step (median)`, value: median(done.history.map(r => r.aggregateMs ?? 0)), unit: 'ms', note: 'aggregation job and model registration' })
      report({ name: `fed ${label}: bytes moved per round (median)`, value: median(bytes), unit: 'B', note: `model ${modelBytes} B, 4 workers: ${(median(bytes) / modelBytes).toFixed(1)}x the model` })
      report({ name: `fed ${label}: accuracy after ${ROUNDS} rounds`, value: curves[label][ROUNDS - 1] * 100, unit: '%' })
    }
    curves.central = []
    for (let r = 1; r <= ROUNDS; r++) {
      curves.central.push((await fedlr(['central', ...[0, 1, 2, 3].map(i => path.join(grid.data, `node${i}`)), '--test', path.join(grid.data, 'test'), '--epochs', String(r * EPOCHS), '--model', path.join(grid.data, 'model')])).accuracy)
    }
    report({ name: `central: accuracy after ${ROUNDS * EPOCHS} epochs`, value: curves.central[ROUNDS - 1] * 100, unit: '%' })
    const svg = accuracySvg([
      { name: 'central (same epochs)', color: '#555', points: curves.central, dash: true },
      { name: 'federated', color: '#1f77b4', points: curves.plain },
      { name: 'federated --secure', color: '#d62728', points: curves.secure, dash: true }
    ])
    const target = process.env.PAIP_FED_SVG ?? path.join('docs', 'federated-accuracy.svg')
    await writeFile(target, svg)
    log(`accuracy per round written to ${target}`)
    log(`central  ${curves.central.map(a => (a * 100).toFixed(1)).join(' ')}`)
    log(`plain    ${curves.plain.map(a => (a * 100).toFixed(1)).join(' ')}`)
    log(`secure   ${curves.secure.map(a => (a * 100).toFixed(1)).join(' ')}`)
  } finally {
    await grid.stop()
  }
  return figures
}
