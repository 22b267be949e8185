import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { openRepository } from '../../src/repo/index.js'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'

const MARKER = 'zq7xk2marker9vw'

/** A repository with one committed file whose content holds MARKER; closed. */
async function committed (): Promise<Awaited<ReturnType<typeof freshRepository>> & { content: string, version: string }> {
  const env = await freshRepository()
  await put(env.dir, 'a.yaml', protocol('a', MARKER))
  await env.repo.add(['a.yaml'])
  const [version] = await env.repo.commit('one')
  await env.repo.close()
  return { ...env, content: version.content, version: version.cid }
}

describe('repo: a corrupted database', () => {
  let env: Awaited<ReturnType<typeof committed>>
  beforeEach(async () => { env = await committed() })
  afterEach(async () => { await env.cleanup() })

  it('reports an object whose bytes changed, and never returns them', async () => {
    // rewrite the stored content behind the repository's back
    const db = new Level<string, any>(join(env.dir, '.paip-repo', 'db'))
    const objects = db.sublevel<string, Uint8Array>('objects', { valueEncoding: 'view' })
    await objects.put(env.content, new TextEncoder().encode(protocol('a', 'tampered')))
    await db.close()

    const repo = await openRepository(env.dir)
    try {
      const err = await rejectsWith(repo.show('a.yaml@1'), 'RepositoryCorruptError')
      assert.equal(err.kind, 'corrupt')
      await rejectsWith(repo.checkout('a.yaml@1', { force: true }), 'RepositoryCorruptError')
      await rejectsWith(repo.readContent(env.content), 'RepositoryCorruptError')
      assert.equal(await readFile(join(env.dir, 'a.yaml'), 'utf8'), protocol('a', MARKER))
    } finally {
      await repo.close()
    }
  })

  it('reports a version record whose bytes changed', async () => {
    const db = new Level<string, any>(join(env.dir, '.paip-repo', 'db'))
    const objects = db.sublevel<string, Uint8Array>('objects', { valueEncoding: 'view' })
    const bytes = await objects.get(env.version) as Uint8Array
    await objects.put(env.version, new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"one"', '"evil"')))
    await db.close()
    const repo = await openRepository(env.dir)
    try {
      await rejectsWith(repo.log('a.yaml'), 'RepositoryCorruptError')
      await rejectsWith(repo.show(env.version), 'RepositoryCorruptError')
      await rejectsWith(repo.status(), 'RepositoryCorruptError')
    } finally {
      await repo.close()
    }
  })

  for (const where of ['its write-ahead log', 'a table file']) {
    it(`reports bytes flipped on disk in ${where}, and never returns them`, async () => {
      if (where === 'a table file') {
        // reopening moves the log into a table
        const repo = await openRepository(env.dir)
        await repo.close()
      }
      // flip a byte of the content wherever level wrote it
      const dbDir = join(env.dir, '.paip-repo', 'db')
      let flipped = 0
      for (const name of await readdir(dbDir)) {
        if (where === 'a table file' ? !name.endsWith('.ldb') : !name.endsWith('.log')) continue
        const file = join(dbDir, name)
        const bytes = await readFile(file)
        let at = bytes.indexOf(MARKER)
        while (at >= 0) {
          bytes[at + 3] ^= 0x01
          flipped++
          at = bytes.indexOf(MARKER, at + 1)
        }
        await writeFile(file, bytes)
      }
      assert.ok(flipped > 0, `the marker is in ${where}`)
      // level may drop the damaged record, refuse to open, or hand back the damaged bytes:
      // the repository reports it in every case
      let repo
      try {
        repo = await openRepository(env.dir)
      } catch (err: any) {
        assert.equal(err.name, 'RepositoryCorruptError', err.message)
        console.log(`      outcome: open refused (${err.message as string})`)
        return
      }
      try {
        const err = await rejectsWith(repo.show('a.yaml@1'), 'RepositoryCorruptError')
        console.log(`      outcome: read refused (${err.message as string})`)
        await rejectsWith(repo.checkout('a.yaml@1', { force: true }), 'RepositoryCorruptError')
      } finally {
        await repo.close()
      }
    })
  }

  it('reports a database whose files were garbled', async () => {
    const dbDir = join(env.dir, '.paip-repo', 'db')
    for (const name of await readdir(dbDir)) {
      if (name === 'LOCK' || name === 'LOG' || name === 'LOG.old') continue
      await writeFile(join(dbDir, name), 'this is not a leveldb file\n'.repeat(50))
    }
    const outcome = await openRepository(env.dir).then(async repo => {
      try { return await repo.show('a.yaml@1') } finally { await repo.close() }
    }, (err: any) => err)
    assert.equal(outcome.name, 'RepositoryCorruptError', outcome.message)
  })

  it('reports a missing database', async () => {
    await rm(join(env.dir, '.paip-repo', 'db'), { recursive: true })
    await rejectsWith(openRepository(env.dir), 'RepositoryCorruptError')
  })

  it('reports a garbled config file', async () => {
    await writeFile(join(env.dir, '.paip-repo', 'config.json'), '{not json')
    await rejectsWith(openRepository(env.dir), 'RepositoryCorruptError')
  })
})
