import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { openRepository } from '../../src/repo/index.js'
import { spawnPaip } from './child.js'
import { checkConsistent } from './consistency.js'
import { freshRepository, protocol, put } from './fixtures.js'

describe('repo: kill -9 in the middle of a commit', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  before(async () => { env = await freshRepository() })
  after(async () => { await env.cleanup() })

  it('leaves the repository readable and consistent: all of the commit, or none', async function () {
    this.timeout(240_000)
    const FILES = 1500
    await env.repo.close()
    const outcomes: string[] = []
    for (let round = 1; round <= 5; round++) {
      // stage a new version of every file
      let repo = await openRepository(env.dir, { author: 'test' })
      for (let i = 0; i < FILES; i++) await put(env.dir, `jobs/${i % 10}/p${i}.yaml`, protocol(`p${i}`, round))
      await repo.add(['jobs'])
      const before = await checkConsistent(repo)
      await repo.close()

      const run = spawnPaip(['commit', '-m', `round ${round}`], env.dir)
      await sleep(150 + Math.floor(Math.random() * 1200))
      run.child.kill('SIGKILL')
      const exit = await run.done

      repo = await openRepository(env.dir)
      try {
        const after = await checkConsistent(repo)
        if (exit.signal === 'SIGKILL' && after.staged === FILES) {
          outcomes.push('killed before the commit')
          assert.equal(after.versions, before.versions)
          await repo.commit(`round ${round} again`)
        } else {
          outcomes.push(exit.signal === 'SIGKILL' ? 'killed after the commit' : `finished (${exit.code})`)
          assert.equal(after.staged, 0, 'a commit is all or nothing')
          assert.equal(after.versions, before.versions + FILES)
        }
        const final = await checkConsistent(repo)
        assert.equal(final.files, FILES)
        assert.equal(final.versions, FILES * round)
      } finally {
        await repo.close()
      }
    }
    console.log(`      outcomes: ${outcomes.join('; ')}`)
  })
})
