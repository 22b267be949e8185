import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { CHECKOUT, PAIP_BIN } from '../fixtures/bin.js'

describe('cli: output into a pipe', function () {
  this.timeout(60_000)

  it('ends quietly when the reader goes away (`paip ... | head -1`)', async () => {
    const script = `"${process.execPath}" "${PAIP_BIN}" diff --help | head -1`
    const child = spawn('bash', ['-c', `set -o pipefail; ${script}; echo "status $?"`], { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', c => { out += String(c) })
    child.stderr.on('data', c => { err += String(c) })
    await new Promise(resolve => child.once('close', resolve))
    assert.doesNotMatch(err, /EPIPE|Unhandled/)
    assert.match(out, /^Usage: paip diff/)
    assert.match(out, /status 0\n$/)
  })
})
