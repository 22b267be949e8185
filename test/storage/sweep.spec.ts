import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { createBlobStore, databaseReferences, sweepBlobs, TEMP_DIR } from '../../src/storage/index.js'
import type { BlobReferences, BlobStore } from '../../src/storage/index.js'

const source = (name: string, cids: string[]): BlobReferences => ({ name, async * references () { yield * cids } })

describe('storage: the blob sweep', () => {
  let dir: string
  let blobs: BlobStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paip-sweep-'))
    blobs = createBlobStore({ dir: join(dir, 'blobs') })
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('removes temp files and unreferenced blobs, never a blob any component references', async () => {
    const a = await blobs.put(new TextEncoder().encode('a dataset file'))
    const b = await blobs.put(new TextEncoder().encode('a job output'))
    const orphan = await blobs.put(new TextEncoder().encode('left by a crash'))
    await writeFile(join(blobs.dir, TEMP_DIR, 'half-written'), Buffer.alloc(1000))
    const result = await sweepBlobs(blobs, [source('catalog', [a.cid.toString()]), source('jobs', [b.cid.toString(), 'not a cid'])])
    assert.deepEqual({ blobs: result.blobs, temp: result.temp, referenced: result.referenced, tempBytes: result.tempBytes }, { blobs: 1, temp: 1, referenced: 2, tempBytes: 1000 })
    assert.equal(await blobs.has(a.cid), true)
    assert.equal(await blobs.has(b.cid), true)
    assert.equal(await blobs.has(orphan.cid), false)
    assert.deepEqual(await readdir(join(blobs.dir, TEMP_DIR)), [])
  })

  it('leaves files newer than the grace period (writes in progress), and removes nothing on a dry run', async () => {
    const fresh = await blobs.put(new TextEncoder().encode('being added right now'))
    const old = await blobs.put(new TextEncoder().encode('an old orphan'))
    const past = new Date(Date.now() - 3600_000)
    await utimes(blobs.path(old.cid), past, past)
    const dry = await sweepBlobs(blobs, [], { grace: 60_000, dryRun: true })
    assert.equal(dry.blobs, 1)
    assert.equal(await blobs.has(old.cid), true)
    const real = await sweepBlobs(blobs, [], { grace: 60_000 })
    assert.equal(real.blobs, 1)
    assert.equal(await blobs.has(old.cid), false)
    assert.equal(await blobs.has(fresh.cid), true)
  })

  it('finds blob CIDs anywhere in the node database, in JSON values, keys and binary records', async () => {
    const db = new Level<string, any>(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    try {
      const inJson = await blobs.put(new TextEncoder().encode('in a job record'))
      const inKey = await blobs.put(new TextEncoder().encode('in a key'))
      const inBinary = await blobs.put(new TextEncoder().encode('in a DHT record'))
      const orphan = await blobs.put(new TextEncoder().encode('nowhere'))
      await (db as any).sublevel('jobs', { valueEncoding: 'json' }).put('job1', { outputs: [{ cid: inJson.cid.toString() }] })
      await (db as any).sublevel('catalog', { valueEncoding: 'json' }).put(`r!${inKey.cid.toString()}!dataset/x`, 1)
      await (db as any).sublevel('libp2p', { valueEncoding: 'view' }).put('/dht/record/x', new Uint8Array([0, 1, ...new TextEncoder().encode(JSON.stringify({ result: inBinary.cid.toString() })), 2]))
      const result = await sweepBlobs(blobs, [databaseReferences('database', db as any)])
      assert.equal(result.blobs, 1)
      assert.equal(result.referenced, 3)
      assert.equal(await blobs.has(orphan.cid), false)
    } finally {
      await db.close()
    }
  })
})
