import assert from 'node:assert/strict'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import { peerRecordsInMemory } from '../../src/node/peer-records.js'
import { until } from '../fixtures/wait.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (value: Uint8Array): string => new TextDecoder().decode(value)

/** The keys a query of `prefix` yields, in its order. */
async function keysOf (store: Datastore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const key of store.queryKeys({ prefix })) keys.push(key.toString())
  return keys
}

describe('node: peer records held in memory', () => {
  it('keeps peer-store writes off the datastore until a flush, then writes the last of each', async () => {
    const below = new MemoryDatastore()
    const store = peerRecordsInMemory(below, 60_000)
    const peer = new Key('/peers/abc')
    for (let i = 0; i < 100; i++) await store.put(peer, bytes(`record ${i}`))
    assert.equal(await below.has(peer), false, 'a hundred stream merges, no write below yet')
    assert.equal(text(await store.get(peer)), 'record 99')
    await store.flush()
    assert.equal(text(await below.get(peer)), 'record 99')
    await store.close()
  })

  it('writes every other key straight through (DHT and provider records are never held back)', async () => {
    const below = new MemoryDatastore()
    const store = peerRecordsInMemory(below, 60_000)
    await store.put(new Key('/dht/record/x'), bytes('x'))
    assert.equal(text(await below.get(new Key('/dht/record/x'))), 'x')
    const batch = store.batch()
    batch.put(new Key('/dht/provider/y'), bytes('y'))
    batch.put(new Key('/peers/b'), bytes('b'))
    await batch.commit()
    assert.equal(text(await below.get(new Key('/dht/provider/y'))), 'y')
    assert.equal(await below.has(new Key('/peers/b')), false)
    assert.equal(text(await store.get(new Key('/peers/b'))), 'b')
    await store.close()
  })

  it('reads the peers a previous run stored, and a stop writes what changed since the last flush', async () => {
    const below = new MemoryDatastore()
    await below.put(new Key('/peers/old'), bytes('old'))
    await below.put(new Key('/peers/gone'), bytes('gone'))
    const store = peerRecordsInMemory(below, 60_000)
    assert.equal(text(await store.get(new Key('/peers/old'))), 'old')
    await store.put(new Key('/peers/new'), bytes('new'))
    await store.delete(new Key('/peers/gone'))
    await assert.rejects(async () => await store.get(new Key('/peers/gone')), { name: 'NotFoundError' })
    assert.equal(await store.has(new Key('/peers/gone')), false)
    await store.close()
    const again = peerRecordsInMemory(below, 60_000)
    assert.deepEqual((await keysOf(again, '/peers/')).sort(), ['/peers/new', '/peers/old'])
    await again.close()
  })

  it('answers queries over both, each key once, with the query\'s filters and limit', async () => {
    const below = new MemoryDatastore()
    await below.put(new Key('/peers/a'), bytes('stale'))
    await below.put(new Key('/dht/record/r'), bytes('r'))
    const store = peerRecordsInMemory(below, 60_000)
    await store.put(new Key('/peers/a'), bytes('fresh'))
    await store.put(new Key('/peers/b'), bytes('b'))
    const all: string[] = []
    for await (const { key, value } of store.query({})) all.push(`${key.toString()}=${text(value)}`)
    assert.deepEqual(all.sort(), ['/dht/record/r=r', '/peers/a=fresh', '/peers/b=b'])
    const dht: string[] = []
    for await (const { key } of store.query({ prefix: '/dht' })) dht.push(key.toString())
    assert.deepEqual(dht, ['/dht/record/r'])
    let limited = 0
    for await (const _ of store.query({ prefix: '/peers', limit: 1 })) limited++
    assert.equal(limited, 1)
    await store.close()
  })

  it('writes changed records in the background on its interval', async () => {
    const below = new MemoryDatastore()
    const store = peerRecordsInMemory(below, 50)
    await store.put(new Key('/peers/soon'), bytes('soon'))
    await until(async () => await below.has(new Key('/peers/soon')), 10_000, 'the record written below')
    await store.close()
  })
})

describe('node: peer records held in memory, against a hostile peer', () => {
  it('holds no more than its cap however many made-up peers are named, and still answers for every one of them', async () => {
    const below = new MemoryDatastore()
    const store = peerRecordsInMemory(below, 60_000, 100)
    // what a peer naming endless fake peers in its DHT answers makes the peer store write
    for (let i = 0; i < 1000; i++) await store.put(new Key(`/peers/fake${i}`), bytes(`fake ${i}`))
    assert.equal(store.held, 100, 'memory holds the cap, no more')
    assert.equal(text(await store.get(new Key('/peers/fake999'))), 'fake 999', 'a peer past the cap is read from below')
    assert.equal(text(await store.get(new Key('/peers/fake0'))), 'fake 0')
    await store.put(new Key('/peers/fake999'), bytes('updated'))
    assert.equal(text(await store.get(new Key('/peers/fake999'))), 'updated')
    await store.delete(new Key('/peers/fake500'))
    await store.delete(new Key('/peers/fake5'))
    assert.equal(await store.has(new Key('/peers/fake500')), false)
    assert.equal(await store.has(new Key('/peers/fake5')), false)
    const keys = await keysOf(store, '/peers/')
    assert.equal(keys.length, 998, 'a query yields every peer once, held or not')
    assert.equal(new Set(keys).size, 998)
    await store.close()

    // a restart over the thousand loads the cap and reads the rest from below
    const again = peerRecordsInMemory(below, 60_000, 100)
    assert.equal(text(await again.get(new Key('/peers/fake999'))), 'updated')
    assert.equal(again.held, 100)
    await assert.rejects(async () => await again.get(new Key('/peers/fake5')), { name: 'NotFoundError' })
    let count = 0
    for await (const _ of again.query({ prefix: '/peers/' })) count++
    assert.equal(count, 998)
    await again.close()
  })
})
