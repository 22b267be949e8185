import assert from 'node:assert/strict'
import { paip } from '../fixtures/cli.js'

describe('cli: program', () => {
  it('prints help and exits 0', async () => {
    const run = await paip(['--help'])
    assert.equal(run.code, 0)
    assert.match(run.stdout, /Usage: paip/)
  })

  it('rejects an unknown command with a usage error (exit 2)', async () => {
    const run = await paip(['no-such-command'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /no-such-command|unknown command|too many arguments/)
  })
})
