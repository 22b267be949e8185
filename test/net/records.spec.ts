import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  dhtRecordOptions, encodeRecord, getRecord, normaliseKeywords, persistentHighWater, putRecord, recordNamespace,
  signRecord, verifyRecord
} from '../../src/net/records.js'
import { startHostGrid, stopHosts } from '../fixtures/hosts.js'
import type { RecordNamespace } from '../../src/net/records.js'
import type { Host } from '../../src/net/host.js'

interface Note { text: string }
const decodeNote = (v: unknown): Note => {
  if (typeof (v as any)?.text !== 'string') throw new Error('text must be a string')
  return { text: (v as any).text }
}

function tamper (bytes: Uint8Array, from: string, to: string): Uint8Array {
  return new TextEncoder().encode(new TextDecoder().decode(bytes).replace(from, to))
}

describe('net: signed records', () => {
  it('verifies a record signed by its publisher', async () => {
    const key = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const record = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'hi' } })
    const checked = await ns.check(ns.key(record.publisher, 'mnist'), encodeRecord(record))
    assert.equal(checked.publisher, peerIdFromPrivateKey(key).toString())
    assert.deepEqual(checked.value, { text: 'hi' })
  })

  it('rejects a record whose bytes were changed after signing', async () => {
    const key = await generateKeyPair('Ed25519')
    const record = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'hi' } })
    const forged = tamper(encodeRecord(record), 'hi', 'ho')
    await assert.rejects(verifyRecord(forged, decodeNote), { name: 'InvalidRecordError' })
  })

  it('rejects a record whose key claims another publisher', async () => {
    const mallory = await generateKeyPair('Ed25519')
    const alice = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const record = await signRecord(mallory, { namespace: 'paip-test', name: 'mnist', seq: 9, value: { text: 'evil' } })
    await assert.rejects(ns.validate(ns.key(peerIdFromPrivateKey(alice), 'mnist'), encodeRecord(record)), { name: 'InvalidRecordError' })
  })

  it('rejects a record naming another publisher in its payload (signature by someone else)', async () => {
    const mallory = await generateKeyPair('Ed25519')
    const alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const record = await signRecord(mallory, { namespace: 'paip-test', name: 'mnist', seq: 9, value: { text: 'evil' } })
    const forged = tamper(encodeRecord(record), record.publisher, alice)
    const ns = recordNamespace('paip-test', decodeNote)
    await assert.rejects(ns.validate(ns.key(alice, 'mnist'), forged), { name: 'InvalidRecordError' })
  })

  it('rejects a record under a key for another name', async () => {
    const key = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const record = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'hi' } })
    await assert.rejects(ns.validate(ns.key(record.publisher, 'cifar'), encodeRecord(record)), { name: 'InvalidRecordError' })
  })

  it('rejects a value the namespace decoder refuses', async () => {
    const key = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const record = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 7 } })
    await assert.rejects(ns.validate(ns.key(record.publisher, 'mnist'), encodeRecord(record)), { name: 'InvalidRecordError' })
  })

  it('rejects a replayed older record once a newer one was seen', async () => {
    const key = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const old = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'v1' } })
    const now = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 2, value: { text: 'v2' } })
    const k = ns.key(old.publisher, 'mnist')
    await ns.validate(k, encodeRecord(now))
    await assert.rejects(ns.validate(k, encodeRecord(old)), { name: 'StaleRecordError' })
    await ns.validate(k, encodeRecord(now)) // the same record again is fine
  })

  it('still refuses a replay after a restart when the marks are kept in a database', async () => {
    const { Level } = await import('level')
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'paip-hw-'))
    const db = new Level<string, any>(dir, { valueEncoding: 'json' })
    try {
      const key = await generateKeyPair('Ed25519')
      const old = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'v1' } })
      const now = await signRecord(key, { namespace: 'paip-test', name: 'mnist', seq: 2, value: { text: 'v2' } })
      const before = persistentHighWater()
      before.attach(db.sublevel('seq', { valueEncoding: 'json' }) as any)
      const ns1 = recordNamespace('paip-test', decodeNote, { highWater: before })
      await ns1.validate(ns1.key(now.publisher, 'mnist'), encodeRecord(now))
      const after = persistentHighWater()
      after.attach(db.sublevel('seq', { valueEncoding: 'json' }) as any)
      const ns2 = recordNamespace('paip-test', decodeNote, { highWater: after })
      await assert.rejects(ns2.validate(ns2.key(old.publisher, 'mnist'), encodeRecord(old)), { name: 'StaleRecordError' })
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('selects the record with the highest sequence number', async () => {
    const key = await generateKeyPair('Ed25519')
    const ns = recordNamespace('paip-test', decodeNote)
    const records = await Promise.all([3, 7, 5].map(async seq => signRecord(key, { namespace: 'paip-test', name: 'x', seq, value: { text: String(seq) } })))
    const k = ns.key(records[0].publisher, 'x')
    assert.equal(await ns.select(k, [...records.map(encodeRecord), new TextEncoder().encode('garbage')]), 1)
  })

  it('normalises keywords to lower case tokens', () => {
    assert.deepEqual(normaliseKeywords('MNIST-PyTorch example', 'mnist'), ['mnist', 'pytorch', 'example'])
  })
})

/** One host per namespace instance (each with its own replay memory, as separate processes). */
async function startRecordHosts (namespaces: Array<RecordNamespace<any>>): Promise<Host[]> {
  return (await startHostGrid(namespaces.length, { init: i => dhtRecordOptions(namespaces[i]) })).hosts
}

describe('net: signed records on the DHT', function () {
  this.timeout(60_000)
  let hosts: Host[] = []
  afterEach(async () => { await stopHosts(hosts); hosts = [] })

  it('puts a record on one node and gets the newest from another; refuses forgeries and replays', async () => {
    const ns = recordNamespace('paip-test', decodeNote)
    // every host gets its own namespace instance (own replay memory), as separate processes would
    const namespaces = [0, 1, 2, 3].map(() => recordNamespace('paip-test', decodeNote))
    hosts = await startRecordHosts(namespaces)

    const aliceKey = await generateKeyPair('Ed25519')
    // a record is signed by the host's own key in real use; any ed25519 key works for the DHT
    const v1 = await signRecord(aliceKey, { namespace: 'paip-test', name: 'mnist', seq: 1, value: { text: 'v1' } })
    const v2 = await signRecord(aliceKey, { namespace: 'paip-test', name: 'mnist', seq: 2, value: { text: 'v2' } })
    const put1 = await putRecord(hosts[1], ns, v1)
    assert.ok(put1.stored > 0)
    assert.equal((await getRecord(hosts[3], ns, v1.publisher, 'mnist')).value.text, 'v1')
    await putRecord(hosts[1], namespaces[1], v2)
    assert.equal((await getRecord(hosts[3], ns, v1.publisher, 'mnist')).value.text, 'v2')

    // a replay of v1 is refused by the nodes that saw v2
    await assert.rejects(putRecord(hosts[2], namespaces[2], v1), (err: any) => err.name === 'RecordNotStoredError' || err.name === 'StaleRecordError')
    assert.equal((await getRecord(hosts[0], ns, v1.publisher, 'mnist')).value.text, 'v2')

    // a forged record pushed straight into the DHT is refused everywhere and never returned
    const mallory = await generateKeyPair('Ed25519')
    const evil = await signRecord(mallory, { namespace: 'paip-test', name: 'mnist', seq: 99, value: { text: 'evil' } })
    const forgedKey = ns.key(v1.publisher, 'mnist')
    for await (const _ of hosts[2].services.dht.put(forgedKey, encodeRecord(evil), { signal: AbortSignal.timeout(10_000) })) { /* drain */ }
    assert.equal((await getRecord(hosts[3], ns, v1.publisher, 'mnist')).value.text, 'v2')
    await assert.rejects(getRecord(hosts[3], ns, v1.publisher, 'cifar', { signal: AbortSignal.timeout(10_000) }), { name: 'RecordNotFoundError' })
  })
})
