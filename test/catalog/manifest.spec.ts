import assert from 'node:assert/strict'
import { MAX_BLOCK_BYTES, MAX_MANIFEST_BYTES, MIN_BLOCK_BYTES } from '../../src/catalog/constants.js'
import { decodeManifest } from '../../src/catalog/manifest.js'
import { cidOfBytes } from '../../src/storage/index.js'

const cid = cidOfBytes(new Uint8Array([1])).toString()
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
const manifest = (blockSize: number, size: number): Uint8Array => encode({ version: 1, blockSize, size, files: [{ path: 'a.bin', size, cid, blocks: cid }] })

/**
 * A manifest comes from whoever answered a search (its CID only proves it is the one they
 * named): its block size and sizes decide what a fetch allocates, so they are bounded.
 */
describe('catalog: a manifest from a peer', () => {
  it('is accepted with a block size and block lists within bounds', () => {
    assert.equal(decodeManifest(manifest(1024 * 1024, 10 * 1024 * 1024)).blockSize, 1024 * 1024)
  })

  it('is refused when its block size would make each block buffer huge', () => {
    assert.throws(() => decodeManifest(manifest(MAX_BLOCK_BYTES * 2, MAX_BLOCK_BYTES * 4)), { name: 'InvalidManifestError' })
  })

  it('is refused when its block size is so small a file takes millions of requests', () => {
    assert.throws(() => decodeManifest(manifest(MIN_BLOCK_BYTES / 2, MIN_BLOCK_BYTES * 4)), { name: 'InvalidManifestError' })
  })

  it('is refused when a file\'s block list would be bigger than a manifest may be', () => {
    const blocks = MAX_MANIFEST_BYTES / 32 + 1
    assert.throws(() => decodeManifest(manifest(MIN_BLOCK_BYTES, blocks * MIN_BLOCK_BYTES)), { name: 'InvalidManifestError' })
  })
})
