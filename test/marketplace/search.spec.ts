import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { signRecord } from '../../src/net/records.js'
import { MARKET, rankHits } from '../../src/marketplace/index.js'
import { fitAnswer, hitOf } from '../../src/marketplace/search.js'
import type { ProtocolRecord } from '../../src/marketplace/index.js'

const version = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

async function record (name: string, keywords: string[], time: number, description = ''): Promise<ProtocolRecord> {
  const key = await generateKeyPair('Ed25519')
  return await signRecord(key, { namespace: MARKET.PROTOCOL_NAMESPACE, name, seq: 1, time, value: { user: 'u', file: `${name}.yaml`, version, versions: 1, keywords, description } })
}

describe('marketplace: ranking and answers', () => {
  it('ranks entries matching every keyword first, then by keywords matched, then by recency', async () => {
    const query = ['mnist', 'pytorch']
    const old = hitOf(await record('a', ['mnist', 'pytorch'], 1000), ['p'], query)
    const recent = hitOf(await record('b', ['mnist', 'pytorch'], 2000), ['p'], query)
    const partial = hitOf(await record('c', ['mnist'], 3000), ['p'], query)
    assert.deepEqual(rankHits([partial, old, recent], query).map(h => h.name), ['b', 'a', 'c'])
  })

  it('keeps a search answer under its size cap however large the entries', async () => {
    const entries = await Promise.all(Array.from({ length: 50 }, async (_, i) => ({
      record: await record(`big${i}`, Array.from({ length: 64 }, (_, k) => `k${k}x${'y'.repeat(58)}`), i, 'd'.repeat(1000)),
      own: true
    })))
    const answer = fitAnswer(entries)
    assert.ok(answer.entries.length > 0)
    assert.ok(JSON.stringify(answer).length < MARKET.MAX_SEARCH_MESSAGE_BYTES)
  })
})
