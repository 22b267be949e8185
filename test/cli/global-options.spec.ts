import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { registerCommands } from '../../src/cli/commands/index.js'
import { allCommands, globalOptions } from '../../src/cli/program.js'
import { initRepository } from '../../src/repo/index.js'
import { startNode } from '../fixtures/daemon.js'
import { runBin } from '../fixtures/bin.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('cli: global options and commands\' own options', function () {
  this.timeout(90_000)

  it('no command defines an option that is also a global option', async () => {
    const program = new Command('paip')
    await registerCommands(program, () => async () => {})
    const globals = new Set(globalOptions().map(o => o.long))
    const clashes: string[] = []
    for (const command of allCommands(program)) {
      for (const option of command.options) if (globals.has(option.long)) clashes.push(`${command.name()} ${option.long ?? ''}`)
    }
    assert.deepEqual(clashes, [])
  })

  describe('through bin/paip on a running node', () => {
    let node: TestNode
    let dir: string
    before(async () => {
      node = await startNode()
      dir = await mkdtemp(join(tmpdir(), 'paip-globals-'))
      for (const version of ['v1', 'v2']) {
        const response = await node.client.request('/repo/protocol/mnist.yaml', { method: 'PUT', raw: true, headers: { 'content-type': 'text/yaml' }, body: protocolYaml('mnist', `Handwritten digits ${version}`) })
        assert.ok(response.ok, await response.text())
      }
      await initRepository(join(dir, 'repo')).then(async r => { await r.close() })
    })
    after(async () => {
      await node?.stop()
      if (dir != null) await rm(dir, { recursive: true, force: true })
    })

    it('`paip pull mnist --version 1` pulls the first version (the root --version does not take it)', async () => {
      const run = await runBin(['--home', node.home, 'pull', 'mnist', '--version', '1', '--json'], { cwd: join(dir, 'repo') })
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.json().seq, 1)
      assert.match(await readFile(join(dir, 'repo', 'mnist.yaml'), 'utf8'), /Handwritten digits v1/)
    })

    it('global options work before and after the command words', async () => {
      for (const args of [['--json', '--home', node.home, 'status'], ['status', '--home', node.home, '--json'], ['--home', node.home, 'datasets', 'list', '--json']]) {
        const run = await runBin(args)
        assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`)
        assert.doesNotThrow(() => run.json(), args.join(' '))
      }
      const api = await runBin(['id', '--api', node.url, '--json'], { env: { PAIP_HOME: join(dir, 'none') } })
      assert.equal(api.code, 0, api.stderr)
      assert.equal(api.json().peerId, node.node.components.peerId.toString())
    })

    it('`paip --version` and `paip -V` still print the version', async () => {
      for (const flag of ['--version', '-V']) {
        const run = await runBin([flag])
        assert.equal(run.code, 0)
        assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/)
      }
    })
  })
})
