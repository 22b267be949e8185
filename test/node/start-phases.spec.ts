import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnDaemon, stopDaemon } from '../../src/testbed/index.js'

const PHASES = ['node and CLI', 'config', 'node modules', 'home lock and config', 'identity and token', 'database open', 'libp2p create', 'components', 'blob sweep', 'libp2p start', 'components start', 'HTTP API']

describe('node: the start phases of a daemon process', function () {
  this.timeout(60_000)

  it('serves how long each step of its start took, wall-clock and CPU, on GET /metrics', async () => {
    const home = await mkdtemp(join(tmpdir(), 'paip-phases-'))
    const daemon = await spawnDaemon({ home, args: ['--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], env: { PATH: process.env.PATH } })
    try {
      const text = await (await fetch(`${daemon.started.url}/metrics`)).text()
      const seen = new Map<string, number>()
      for (const [, phase, clock, value] of text.matchAll(/^paip_start_phase_seconds\{phase="([^"]+)",clock="(wall|cpu)"\} (\S+)$/gm)) seen.set(`${phase}/${clock}`, Number(value))
      for (const phase of PHASES) {
        for (const clock of ['wall', 'cpu']) {
          const value = seen.get(`${phase}/${clock}`)
          assert.ok(value != null && value >= 0 && value < 600, `${phase} (${clock}): ${value}`)
        }
      }
      assert.ok((seen.get('node modules/cpu') ?? 0) > 0, 'loading the node\'s modules took some CPU')
    } finally {
      await stopDaemon(daemon)
      await rm(home, { recursive: true, force: true })
    }
  })
})
