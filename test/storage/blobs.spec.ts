import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createBlobStore } from '../../src/storage/index.js'
import type { BlobStore } from '../../src/storage/index.js'

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

async function * generate (chunks: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < chunks; i++) yield new Uint8Array(size).fill(i % 251)
}

describe('storage: blob store', () => {
  let dir: string
  let blobs: BlobStore

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paip-blobs-'))
    blobs = createBlobStore({ dir })
  })

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('names bytes by the raw sha2-256 CID v1 and reads them back', async () => {
    const bytes = new TextEncoder().encode('hello grid')
    const { cid, size } = await blobs.put(bytes)
    assert.equal(size, bytes.byteLength)
    assert.equal(cid.version, 1)
    assert.equal(cid.code, 0x55)
    assert.deepEqual(Buffer.from(cid.multihash.digest), createHash('sha256').update(bytes).digest())
    assert.deepEqual(await collect(blobs.get(cid)), Buffer.from(bytes))
    assert.equal(await blobs.has(cid), true)
    assert.equal((await blobs.stat(cid.toString())).size, bytes.byteLength)
  })

  it('streams a source of many chunks and reads a range', async () => {
    const { cid, size } = await blobs.put(generate(10, 1000))
    assert.equal(size, 10_000)
    const range = await collect(blobs.get(cid, { offset: 2500, length: 1000 }))
    assert.equal(range.byteLength, 1000)
    assert.equal(range[0], 2)
    assert.equal(range[999], 3)
  })

  it('stores an empty blob', async () => {
    const { cid, size } = await blobs.put(new Uint8Array(0))
    assert.equal(size, 0)
    assert.equal((await collect(blobs.get(cid))).byteLength, 0)
  })

  it('leaves nothing behind when the source fails midway', async () => {
    async function * failing (): AsyncIterable<Uint8Array> {
      yield new Uint8Array(100)
      throw new Error('disk full')
    }
    await assert.rejects(blobs.put(failing()), /disk full/)
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), [])
    const stored = []
    for await (const info of blobs.list()) stored.push(info)
    assert.equal(stored.length, 0)
  })

  it('refuses bytes that do not match the expected CID, leaving nothing', async () => {
    const { cid } = await blobs.put(new TextEncoder().encode('a'))
    await blobs.delete(cid)
    await assert.rejects(blobs.put(new TextEncoder().encode('b'), { expectedCid: cid }), { name: 'BlobCorruptError' })
    assert.equal(await blobs.has(cid), false)
  })

  it('refuses a source over maxBytes', async () => {
    await assert.rejects(blobs.put(generate(5, 100), { maxBytes: 250 }), { name: 'BlobTooLargeError' })
  })

  it('throws BlobCorruptError when a stored blob was altered on disk', async () => {
    const { cid } = await blobs.put(new TextEncoder().encode('original'))
    await fs.writeFile(blobs.path(cid), 'tampered')
    await assert.rejects(collect(blobs.get(cid)), (err: any) => err.name === 'BlobCorruptError' && err.kind === 'corrupt')
  })

  it('throws BlobNotFoundError for an absent blob and InvalidBlobRequestError for a bad CID', async () => {
    const { cid } = await blobs.put(new TextEncoder().encode('x'))
    await blobs.delete(cid)
    await assert.rejects(collect(blobs.get(cid)), { name: 'BlobNotFoundError' })
    await assert.rejects(blobs.stat('not-a-cid'), { name: 'InvalidBlobRequestError' })
    assert.equal(await blobs.delete(cid), false)
  })

  it('resumes a partial blob across attempts and verifies it whole', async () => {
    const bytes = new Uint8Array(5000).map((_, i) => i % 256)
    const expected = (await blobs.put(bytes)).cid
    await blobs.delete(expected)
    const first = await blobs.partial(expected)
    await first.write(bytes.subarray(0, 2000))
    await first.close()
    const second = await blobs.partial(expected)
    assert.equal(second.size, 2000)
    await second.write(bytes.subarray(2000))
    const info = await second.commit()
    assert.equal(info.size, 5000)
    assert.deepEqual(await collect(blobs.get(expected)), Buffer.from(bytes))
  })

  it('refuses to commit a partial blob whose bytes do not match', async () => {
    const expected = (await blobs.put(new TextEncoder().encode('right'))).cid
    await blobs.delete(expected)
    const part = await blobs.partial(expected)
    await part.write(new TextEncoder().encode('wrong'))
    await assert.rejects(part.commit(), { name: 'BlobCorruptError' })
    assert.equal(await blobs.has(expected), false)
    const again = await blobs.partial(expected)
    assert.equal(again.size, 0)
    await again.discard()
  })
})
