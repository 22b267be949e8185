import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freshRepository, protocol, put, rejectsWith } from './fixtures.js'

describe('repo: exchanging versions with another repository', () => {
  let a: Awaited<ReturnType<typeof freshRepository>>
  let b: Awaited<ReturnType<typeof freshRepository>>
  beforeEach(async () => { a = await freshRepository(); b = await freshRepository() })
  afterEach(async () => { await a.cleanup(); await b.cleanup() })

  async function commitVersions (env: typeof a, path: string, from: number, to: number): Promise<void> {
    for (let i = from; i <= to; i++) {
      await put(env.dir, path, protocol(path, i))
      await env.repo.add([path])
      await env.repo.commit(`${path} ${i}`)
    }
  }

  it('imports a file\'s history, verified, with the same CIDs, and checks it out', async () => {
    await commitVersions(a, 'mnist.yaml', 1, 3)
    const bundle = await a.repo.exportVersions('mnist.yaml')
    assert.equal(bundle.records.length, 3)
    const result = await b.repo.importVersions(bundle.records, bundle.contents)
    assert.equal(result.imported.length, 3)
    assert.deepEqual(result.updated, { 'mnist.yaml': bundle.head })
    assert.deepEqual(await b.repo.log('mnist.yaml'), await a.repo.log('mnist.yaml'))
    await b.repo.checkout('mnist.yaml@2')
    assert.equal(await readFile(join(b.dir, 'mnist.yaml'), 'utf8'), protocol('mnist.yaml', 2))
    // importing again changes nothing
    const again = await b.repo.importVersions(bundle.records, bundle.contents)
    assert.deepEqual(again, { imported: [], updated: {}, diverged: [] })
  })

  it('fast-forwards a head with newer versions, given only what is new', async () => {
    await commitVersions(a, 'm.yaml', 1, 2)
    const first = await a.repo.exportVersions('m.yaml')
    await b.repo.importVersions(first.records, first.contents)
    await commitVersions(a, 'm.yaml', 3, 4)
    const rest = await a.repo.exportVersions('m.yaml', { since: first.head })
    assert.equal(rest.records.length, 2)
    const result = await b.repo.importVersions(rest.records, rest.contents)
    assert.equal((await b.repo.head('m.yaml'))?.seq, 4)
    assert.deepEqual(Object.keys(result.updated), ['m.yaml'])
  })

  it('reports a diverged history and leaves the local head alone', async () => {
    await commitVersions(a, 'm.yaml', 1, 1)
    const base = await a.repo.exportVersions('m.yaml')
    await b.repo.importVersions(base.records, base.contents)
    await commitVersions(a, 'm.yaml', 2, 2)
    await put(b.dir, 'm.yaml', protocol('m.yaml', 'local'))
    await b.repo.add(['m.yaml'])
    const [local] = await b.repo.commit('local change')
    const theirs = await a.repo.exportVersions('m.yaml')
    const result = await b.repo.importVersions(theirs.records, theirs.contents)
    assert.equal(result.diverged.length, 1)
    assert.equal((await b.repo.head('m.yaml'))?.cid, local.cid)
    // the other branch is stored and readable by its CID
    assert.equal((await b.repo.readVersion(theirs.head)).seq, 2)
  })

  it('refuses a record or content that does not match its CID, storing nothing', async () => {
    await commitVersions(a, 'm.yaml', 1, 2)
    const bundle = await a.repo.exportVersions('m.yaml')
    const badContent = bundle.contents.map((c, i) => i === 0 ? { cid: c.cid, bytes: new TextEncoder().encode('protocolVersion: 2\n') } : c)
    await rejectsWith(b.repo.importVersions(bundle.records, badContent), 'ImportVerificationError')
    const text = new TextDecoder().decode(bundle.records[0].bytes).replace('"author":"tester"', '"author":"mallory"')
    const badRecords = [{ cid: bundle.records[0].cid, bytes: new TextEncoder().encode(text) }, ...bundle.records.slice(1)]
    await rejectsWith(b.repo.importVersions(badRecords, bundle.contents), 'ImportVerificationError')
    assert.deepEqual(await b.repo.files(), [])
  })

  it('refuses a version whose parent or content is missing', async () => {
    await commitVersions(a, 'm.yaml', 1, 2)
    const bundle = await a.repo.exportVersions('m.yaml')
    await rejectsWith(b.repo.importVersions(bundle.records.slice(0, 1), bundle.contents), 'ImportVerificationError')
    await rejectsWith(b.repo.importVersions(bundle.records, []), 'ImportVerificationError')
    assert.deepEqual(await b.repo.files(), [])
  })
})
