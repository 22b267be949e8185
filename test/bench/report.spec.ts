import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { machine, writeReport } from '../../bench/report.js'
import type { Results } from '../../bench/report.js'

describe('bench report', () => {
  let dir: string
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-report-')) })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  it('writes the machine, a table per area with verdicts, the reason next to a missed target, and SVG plots', async () => {
    const m = await machine([0.5, 2.5])
    const results: Results = {
      areas: {
        gateway: {
          machine: m,
          seconds: 12,
          figures: [
            { name: '25 nodes: search median', value: 120, unit: 'ms', target: 150, plot: { id: 'latency-vs-n', series: 'paip search', x: 25 } },
            { name: '10 nodes: search median', value: 90, unit: 'ms', target: 150, plot: { id: 'latency-vs-n', series: 'paip search', x: 10 } },
            { name: '25 nodes: search p95', value: 700, unit: 'ms', target: 400, reason: 'a <dead> peer | timeout' },
            { name: 'no reason given', value: 2, unit: 'x', target: 3, higherIsBetter: true }
          ]
        },
        scale: { machine: m, seconds: 1, figures: [], failed: 'Error: out of memory\n    at x' }
      }
    }
    const file = await writeReport(dir, results)
    const md = await fs.readFile(file, 'utf8')
    assert.match(md, new RegExp(m.cpu.replace(/[()]/g, '.')))
    assert.match(md, new RegExp(`${m.cores} \\| ${m.ramGiB} GiB`))
    assert.match(md, new RegExp(m.commit))
    assert.match(md, /other work .* ran at the same time/)
    assert.match(md, /\| 25 nodes: search median \| 120 ms \| ≤ 150 ms \| met \|/)
    assert.match(md, /\| 25 nodes: search p95 \| 700 ms \| ≤ 400 ms \| \*\*MISSED\*\* \| \*\*why:\*\* a <dead> peer \\\| timeout \|/)
    assert.match(md, /no reason given .* reason not measured yet/)
    assert.match(md, /\*\*The bench failed:\*\* Error: out of memory\n/)
    assert.match(md, /!\[Latency vs. number of nodes\]\(benchmarks\/latency-vs-n.svg\)/)
    const svg = await fs.readFile(path.join(dir, 'benchmarks', 'latency-vs-n.svg'), 'utf8')
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    assert.match(svg, /<polyline/)
    assert.match(svg, /paip search/)
    const json = JSON.parse(await fs.readFile(path.join(dir, 'benchmarks.json'), 'utf8'))
    assert.deepEqual(Object.keys(json.areas), ['gateway', 'scale'])
  })
})
