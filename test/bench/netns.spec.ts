import assert from 'node:assert/strict'
import { pickSearchers } from '../../bench/netns.js'

describe('bench/netns: who searches', () => {
  it('every search of a round comes from another node, never the publisher of what it looks for', () => {
    // 22 live nodes after the kill, 8 publishers: a stride of 7 over the 21 others picked 3 searchers
    const nodes = Array.from({ length: 22 }, (_, i) => i)
    const publisherOf = (i: number): number => 1 + (i % 8)
    const searchers = pickSearchers(nodes, publisherOf, 24)
    assert.equal(searchers.length, 24)
    assert.equal(new Set(searchers).size, 22, `distinct searchers: ${searchers.join(' ')}`)
    searchers.forEach((from, i) => { assert.notEqual(from, publisherOf(i), `search ${i} is not from its publisher`) })
  })

  it('with fewer nodes than searches, repeats only once every node searched', () => {
    const searchers = pickSearchers([0, 1, 2, 3], () => 0, 6)
    assert.deepEqual(new Set(searchers.slice(0, 3)), new Set([1, 2, 3]))
    assert.ok(searchers.every(s => s !== 0))
  })
})
