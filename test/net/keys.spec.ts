import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { algorithmKey } from '../../src/algorithms/index.js'
import { nameKey, tagKey } from '../../src/catalog/index.js'
import { fedCid } from '../../src/fed/index.js'
import { jobCid } from '../../src/jobs/dispatch.js'
import { evalCid } from '../../src/jobs/eval/key.js'
import { keywordKey, prefixKey } from '../../src/marketplace/index.js'
import { dhtKey, KEY_NAMESPACES } from '../../src/net/keys.js'

/** The CID (v1, raw, sha2-256) of a text: how every provider key was made before it had one scheme. */
function cidOfText (text: string): CID {
  return CID.createV1(0x55, createDigest(0x12, new Uint8Array(createHash('sha256').update(text).digest())))
}

describe('net: one key scheme', () => {
  it('keeps every component\'s keys as persisted provider records name them', () => {
    assert.equal(tagKey('dataset', '#mnist').toString(), cidOfText('paip:dataset-tag:#mnist').toString())
    assert.equal(nameKey('model', 'ResNet').toString(), cidOfText('paip:model-name:resnet').toString())
    assert.equal(keywordKey('MNIST').toString(), cidOfText('paip-keyword:paip-protocol:mnist').toString())
    assert.equal(prefixKey('covi').toString(), cidOfText('paip-keyword:paip-protocol-prefix:covi').toString())
    assert.equal(algorithmKey('alice', 'sum').toString(), cidOfText('paip:algorithm:alice/sum').toString())
    assert.equal(jobCid('j1').toString(), cidOfText('paip-job:j1').toString())
    assert.equal(fedCid('r1').toString(), cidOfText('paip-fed:r1').toString())
    assert.equal(evalCid('m', 'd', ['F1', 'accuracy']).toString(), cidOfText('paip-eval:v1\nm\nd\naccuracy,f1').toString())
  })

  it('gives the same term different keys in different namespaces', () => {
    const keys = Object.values(KEY_NAMESPACES).map(ns => dhtKey(ns, 'mnist').toString())
    assert.equal(new Set(keys).size, keys.length)
  })
})
