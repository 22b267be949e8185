import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { run } from '../../bench/helia.js'
import { machine, writeReport } from '../../bench/report.js'

describe('bench helia', function () {
  this.timeout(300_000)
  let dir: string
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-bench-helia-')) })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  it('publishes and finds the same keys on 3 paip and 3 helia nodes at once and reports paip\'s ratio to helia in the report', async () => {
    const figures = await run({ sizes: [3], keys: 2, log: () => {} })
    const value = (name: string): number => {
      const figure = figures.find(f => f.name === `3 nodes: ${name}`)
      assert.ok(figure != null, `no figure "${name}" among ${figures.map(f => f.name).join(', ')}`)
      return figure.value
    }
    // success depends on the machine's load (a search ends at its deadline): only its range is checked
    for (const success of ['paip find (search) success', 'paip find (providers lookup) success', 'helia find success']) {
      assert.ok(value(success) >= 0 && value(success) <= 100, success)
    }
    for (const ratio of ['paip publish median / helia publish median', 'paip search median / helia find median', 'paip providers lookup median / helia find median']) {
      assert.ok(Number.isFinite(value(ratio)) && value(ratio) > 0, ratio)
    }
    const md = await fs.readFile(await writeReport(dir, { areas: { helia: { machine: await machine([0, 0]), figures, seconds: 1 } } }), 'utf8')
    assert.match(md, /## Against helia \(js IPFS\) in the same run \(`helia`\)/)
    assert.match(md, /\| 3 nodes: paip search median \/ helia find median \| [\d.]+ x \|/)
  })
})
