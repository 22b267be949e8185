import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freshRepository, protocol, put } from './fixtures.js'
import { cidOfContent, cidOfJson } from './util.js'

describe('repo: add, commit and checkout round trips', () => {
  let env: Awaited<ReturnType<typeof freshRepository>>
  beforeEach(async () => { env = await freshRepository() })
  afterEach(async () => { await env.cleanup() })

  it('restores the exact bytes of every version of many files', async function () {
    this.timeout(60_000)
    const { dir, repo } = env
    const files = Array.from({ length: 12 }, (_, i) => i % 3 === 0 ? `jobs/team-${i}/p${i}.yaml` : `p${i}.yml`)
    const rounds = 8
    const written = new Map<string, string[]>() // path -> bytes (as text) per version
    for (let round = 1; round <= rounds; round++) {
      // change a different subset each round (odd bytes too: CRLF, unicode, no final newline)
      const changed = files.filter((_, i) => (i + round) % 3 !== 0 || round === 1)
      for (const path of changed) {
        const text = protocol(path, round, round % 2 === 0 ? ' \u00e9\u4e2d\r' : '').replace(/\n$/, round % 4 === 0 ? '' : '\n')
        await put(dir, path, text)
        written.set(path, [...(written.get(path) ?? []), text])
      }
      await repo.add(changed)
      const versions = await repo.commit(`round ${round}`)
      assert.equal(versions.length, changed.length)
    }
    for (const path of files) {
      const texts = written.get(path) ?? []
      const log = await repo.log(path)
      assert.equal(log.length, texts.length, `${path} has one version per change`)
      assert.deepEqual(log.map(v => v.seq), texts.map((_, i) => texts.length - i))
      for (let n = 1; n <= texts.length; n++) {
        await repo.checkout(`${path}@${n}`)
        assert.equal(await readFile(join(dir, path), 'utf8'), texts[n - 1], `${path}@${n}`)
        // by CID too
        const version = log[texts.length - n]
        await repo.checkout(version.cid.slice(0, 20), { force: true })
        assert.equal(await readFile(join(dir, path), 'utf8'), texts[n - 1])
      }
      await repo.checkout('HEAD', { paths: [path] })
      assert.equal(await readFile(join(dir, path), 'utf8'), texts.at(-1))
    }
    const status = await repo.status()
    assert.deepEqual([status.staged, status.modified, status.deleted, status.untracked], [[], [], [], []])
  })

  it('keeps one file\'s history unaffected by commits to another', async () => {
    const { dir, repo } = env
    await put(dir, 'a.yaml', protocol('a', 1))
    await repo.add(['a.yaml'])
    const [a1] = await repo.commit('a one')
    const before = await repo.log('a.yaml')
    for (let i = 1; i <= 5; i++) {
      await put(dir, 'b.yaml', protocol('b', i))
      await repo.add(['b.yaml'])
      await repo.commit(`b ${i}`)
    }
    assert.deepEqual(await repo.log('a.yaml'), before)
    assert.equal((await repo.head('a.yaml'))?.cid, a1.cid)
    assert.equal((await repo.log('b.yaml')).length, 5)
    assert.equal((await repo.head('b.yaml'))?.seq, 5)
  })

  it('commits only the named files, leaving the rest staged', async () => {
    const { dir, repo } = env
    await put(dir, 'x/one.yaml', protocol('one'))
    await put(dir, 'two.yaml', protocol('two'))
    await repo.add(['.'])
    const versions = await repo.commit('only x', { paths: ['x'] })
    assert.deepEqual(versions.map(v => v.path), ['x/one.yaml'])
    assert.deepEqual((await repo.status()).staged.map(s => s.path), ['two.yaml'])
  })

  it('chains each version to its parent and addresses it by its own CID', async () => {
    const { dir, repo } = env
    for (let i = 1; i <= 3; i++) {
      await put(dir, 'm.yaml', protocol('m', i))
      await repo.add(['m.yaml'])
      await repo.commit(`v${i}`)
    }
    const [v3, v2, v1] = await repo.log('m.yaml')
    assert.equal(v3.parent, v2.cid)
    assert.equal(v2.parent, v1.cid)
    assert.equal(v1.parent, null)
    assert.match(v3.cid, /^bagaaiera/) // CID v1, json codec, sha2-256
    assert.match(v3.content, /^bafkrei/) // CID v1, raw codec, sha2-256
    assert.equal(v3.author, 'tester')
    assert.equal(v3.message, 'v3')
    const shown = await repo.show(v2.cid)
    assert.equal(new TextDecoder().decode(shown.content), protocol('m', 2))
    // the same CIDs multiformats computes
    assert.equal(v2.content, cidOfContent(new TextEncoder().encode(protocol('m', 2))))
    assert.equal(v2.cid, cidOfJson(await repo.readContent(v2.cid)))
  })
})
