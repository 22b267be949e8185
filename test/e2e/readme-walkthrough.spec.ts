import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startTestbed } from '../../src/testbed/index.js'
import { CHECKOUT, PAIP_BIN } from '../fixtures/bin.js'
import type { Testbed } from '../../src/testbed/index.js'

/** The README's fenced `sh` blocks that follow a `<!-- walkthrough -->` line, in order. */
export function walkthroughBlocks (readme: string): string[] {
  const blocks: string[] = []
  const pattern = /<!-- walkthrough -->\s*\n```sh\n([\s\S]*?)\n```/g
  for (const match of readme.matchAll(pattern)) blocks.push(match[1])
  return blocks
}

async function bash (script: string, cwd: string, env: Record<string, string>, deadline: number): Promise<{ code: number | null, out: string }> {
  const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', c => { out += String(c) })
  child.stderr.on('data', c => { out += String(c) })
  const timer = setTimeout(() => child.kill('SIGKILL'), deadline)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(timer)
  return { code, out }
}

describe('e2e: the README walkthrough, pasted in order on a fresh home and a 3-node testbed', function () {
  this.timeout(300_000)
  let testbed: Testbed | undefined
  let dir: string

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-walkthrough-'))
    testbed = await startTestbed({ nodes: 3, dir: path.join(dir, 'testbed') })
  })
  after(async () => {
    await testbed?.stop()
    if (dir != null) await fs.rm(dir, { recursive: true, force: true })
  })

  it('has blocks marked for it, and each runs without an error', async () => {
    const blocks = walkthroughBlocks(await fs.readFile(path.join(CHECKOUT, 'README.md'), 'utf8'))
    assert.ok(blocks.length > 0, 'no <!-- walkthrough --> blocks in README.md')
    // this directory as the user has it, a `paip` command, and a fresh HOME whose node is node0
    const work = path.join(dir, 'checkout')
    await fs.mkdir(work)
    await fs.cp(path.join(CHECKOUT, 'protocols'), path.join(work, 'protocols'), { recursive: true })
    const bin = path.join(dir, 'bin')
    await fs.mkdir(bin)
    await fs.writeFile(path.join(bin, 'paip'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(PAIP_BIN)} "$@"\n`, { mode: 0o755 })
    const home = path.join(dir, 'home')
    await fs.mkdir(home)
    const node = testbed!.nodes[0]
    const env: Record<string, string> = {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      HOME: home,
      PAIP_HOME: node.home,
      PAIP_CONFIG_DIR: path.join(home, '.config', 'paip'),
      PAIP_AUTHOR: 'Walkthrough <walkthrough@example.org>'
    }
    const script = ['set -euo pipefail', ...blocks].join('\n')
    const { code, out } = await bash(script, work, env, 240_000)
    assert.equal(code, 0, `the walkthrough failed:\n${out}`)
    assert.match(out, /dataset-stats/)
  })
})
