import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { signRecord } from '../../src/net/records.js'
import { MARKET, protocolKeywords, rankHits } from '../../src/marketplace/index.js'
import { fitAnswer, hitOf, matchEntries } from '../../src/marketplace/search.js'
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

  it('indexes no URL scheme, host, IP address, port or number-only token', () => {
    const keywords = protocolKeywords('covid19_prediction', {
      description: 'Forecast COVID-19 cases; code at https://github.com/example/covid-model and http://10.151.40.2:8080/docs',
      prerequisites: [
        { type: 'dockerimage', name: 'image', uri: '10.151.40.2:5000/research/covid19-trainer:1.2' },
        { type: 'data', name: 'cases', uri: 'https://raw.githubusercontent.com/example/cases/main/cases.csv' },
        { type: 'dockerimage', name: 'gpu', uri: 'ghcr.io/example/torch:2.1-cuda12' },
        { type: 'dockerimage', name: 'local', uri: 'localhost:5000/tools' },
        { type: 'dockerimage', name: 'v6', uri: '[2001:db8::1]:5000/six' }
      ],
      taskRoles: { train: { dockerImage: 'image' } }
    })
    for (const noise of ['https', 'http', 'github', 'githubusercontent', 'com', 'raw', 'io', 'ghcr', 'localhost', '10', '151', '40', '5000', '8080', '2001', 'db8', '1', '19']) {
      assert.ok(!keywords.includes(noise), `${noise} in ${keywords.join(' ')}`)
    }
    for (const word of ['covid19', 'prediction', 'forecast', 'covid', 'cases', 'example', 'model', 'docs', 'research', 'trainer', 'torch', 'cuda12', 'tools', 'six', 'train', 'csv']) {
      assert.ok(keywords.includes(word), `${word} missing from ${keywords.join(' ')}`)
    }
  })

  it('matches a query word as the prefix of a keyword, ranked below an exact match', async () => {
    const query = ['covid']
    const prefix = { record: await record('covid19_prediction', ['covid19', 'prediction'], 3000), own: true }
    const exact = { record: await record('covid', ['covid', 'cases'], 1000), own: true }
    const none = { record: await record('mnist', ['mnist', 'cov'], 2000), own: true }
    assert.deepEqual(matchEntries([prefix, none, exact], query, 10).map(e => e.record.name), ['covid', 'covid19_prediction'])
    const hits = [hitOf(prefix.record, ['p'], query), hitOf(exact.record, ['p'], query)]
    assert.deepEqual(rankHits(hits, query).map(h => h.name), ['covid', 'covid19_prediction'])
    assert.deepEqual(hits.map(h => [h.matched, h.exact]), [[1, 0], [1, 1]])
    // short query words match whole keywords only
    assert.deepEqual(matchEntries([prefix, none, exact], ['co'], 10).map(e => e.record.name), [])
  })
})
