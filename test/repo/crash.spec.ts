import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openRepository } from '../../src/repo/index.js'
import { spawnPaip } from './child.js'
import { checkConsistent } from './consistency.js'
import { freshRepository, protocol, put } from './fixtures.js'
import { replayable } from '../fixtures/seed.js'

describe('repo: kill -9 in the middle of a commit', function () {
  // the kill moments come from this seed: PAIP_TEST_SEED=<seed> replays them
  const seed = replayable(this)
  let env: Awaited<ReturnType<typeof freshRepository>>
  before(async () => { env = await freshRepository() })
  after(async () => { await env.cleanup() })

  it(`leaves the repository readable and consistent: all of the commit, or none (seed ${seed.seed})`, async function () {
    this.timeout(240_000)
    const FILES = 1000
    let held = 0
    // moments (as fractions of a whole commit) to kill at, in the seed's order: early, midway, late
    const moments = shuffle([0.1, 0.5, 0.8, 0.9, 1.0, 1.05, 1.2].map(m => m * (0.9 + seed.random() * 0.2)), seed.random)
    console.log(`      seed ${seed.seed}: kill at ${moments.map(m => m.toFixed(3)).join(', ')} of a commit`)
    const lock = join(env.dir, '.paip-repo', 'lock')
    await env.repo.close()
    const outcomes: string[] = []
    for (let round = 1; round <= 8; round++) {
      // stage a new version of every file
      let repo = await openRepository(env.dir, { author: 'test' })
      for (let i = 0; i < FILES; i++) await put(env.dir, `jobs/${i % 10}/p${i}.yaml`, protocol(`p${i}`, round))
      await repo.add(['jobs'])
      assert.equal((await repo.status()).staged.length, FILES)
      await repo.close()
      // what the last round left, read back whole at its end
      const before = { versions: FILES * (round - 1) }

      // kill it at a random moment while it holds the repository (it is committing then)
      const started = Date.now()
      const run = spawnPaip(['commit', '-m', `round ${round}`], env.dir, 60_000, { DEBUG: 'paip:repo' })
      const exited = run.done.then(() => true)
      const deadline = Date.now() + 30_000
      while (!existsSync(lock) && Date.now() < deadline && !await Promise.race([exited, sleep(1).then(() => false)])) {}
      const locked = Date.now()
      // round 1 runs to the end, to learn how long a commit holds the repository
      if (round > 1) {
        await sleep(Math.floor(held * moments[round - 2]))
        run.child.kill('SIGKILL')
      }
      const exit = await run.done
      if (round === 1) held = Date.now() - locked
      // where it was: the child logs (DEBUG=paip:repo) before and after its one write
      const stage = exit.stderr.includes('wrote') ? 'after its write' : exit.stderr.includes('writing') ? 'during its write' : 'before its write'
      if (exit.signal !== 'SIGKILL') assert.equal(exit.code, 0, exit.stderr)
      console.log(`      round ${round}: lock seen after ${locked - started} ms, ${exit.signal ?? `exit ${exit.code}`} at ${Date.now() - started} ms, ${stage}`)

      repo = await openRepository(env.dir)
      try {
        const after = await checkConsistent(repo)
        let final = after
        if (exit.signal === 'SIGKILL' && after.staged === FILES) {
          outcomes.push('killed before the commit')
          assert.equal(after.versions, before.versions)
          await repo.commit(`round ${round} again`)
          final = await checkConsistent(repo)
        } else {
          outcomes.push(exit.signal === 'SIGKILL' ? 'killed after the commit' : `finished (${exit.code})`)
          assert.equal(after.staged, 0, 'a commit is all or nothing')
          assert.equal(after.versions, before.versions + FILES)
        }
        assert.equal(final.files, FILES)
        assert.equal(final.versions, FILES * round)
      } finally {
        await repo.close()
      }
    }
    console.log(`      outcomes: ${outcomes.join('; ')}`)
  })
})

/** Fisher-Yates with the given random source. */
function shuffle<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}
