import assert from 'node:assert/strict'
import type { Repository } from '../../src/repo/index.js'

/**
 * Reads everything back: every head's whole history (each record and content verified by
 * hash), every staged content, every tag. Throws on any inconsistency.
 */
export async function checkConsistent (repo: Repository): Promise<{ files: number, versions: number, staged: number }> {
  let versions = 0
  const files = await repo.files()
  for (const { path, head } of files) {
    const log = await repo.log(path)
    assert.equal(log[0].cid, head.cid)
    assert.equal(log.length, head.seq)
    for (const version of log) {
      assert.equal(version.path, path)
      const bytes = await repo.readContent(version.content)
      assert.equal(bytes.byteLength, version.size)
    }
    versions += log.length
  }
  const status = await repo.status()
  for (const entry of status.staged) await repo.readContent(entry.content)
  for (const tag of await repo.tags()) {
    for (const cid of Object.values(tag.versions)) await repo.readVersion(cid)
  }
  return { files: files.length, versions, staged: status.staged.length }
}
