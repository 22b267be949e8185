import assert from 'node:assert/strict'
import { Command } from 'commander'
import { GROUP_WORDS, GROUPS } from '../../src/cli/commands/index.js'
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

  it('loads only the group of the command word: each group registers exactly the words it is listed under', async () => {
    assert.deepEqual(Object.keys(GROUP_WORDS).sort(), Object.keys(GROUPS).sort())
    const seen = new Set<string>()
    for (const [name, load] of Object.entries(GROUPS)) {
      const program = new Command('paip')
      ;(await load()).register(program, () => async () => {})
      const words = program.commands.flatMap(c => [c.name(), ...c.aliases()])
      assert.deepEqual(words.sort(), [...GROUP_WORDS[name]].sort(), `the words of group ${name}`)
      for (const word of words) { assert.ok(!seen.has(word), `${word} is registered by one group`); seen.add(word) }
    }
  })

  it('lists every group\'s commands in the help, and suggests across groups for a typo', async () => {
    const help = await paip(['--help'])
    for (const word of Object.values(GROUP_WORDS).flat()) assert.match(help.stdout, new RegExp(`^  ${word}\\b`, 'm'), `--help lists ${word}`)
    const typo = await paip(['datasetz', 'list'])
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /Did you mean datasets\?/)
  })
})
