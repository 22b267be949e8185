/**
 * The marketplace's part of the node database: objects by CID (`obj:<cid>`, base64 bytes) and
 * the protocol entries this node answers searches with (`entry:<publisher>/<name>`: the signed
 * record, and whether this node published it). Entries are also held in memory for search.
 */
import { encodeRecord, verifyRecord } from '../net/records.js'
import { decodeProtocolRecordValue } from './record.js'
import { verifyCid } from './objects.js'
import type { ProtocolRecord } from './record.js'

/** The part of a level sublevel (JSON values) the store needs. */
export interface MarketDb {
  get(key: string): Promise<any>
  put(key: string, value: any): Promise<void>
  iterator(options: { gte: string, lt: string }): AsyncIterable<[string, any]>
  /** A sublevel (level's): where a marketplace built without the node's routing service keeps its keys waiting for peers. */
  sublevel?: (name: string, options?: any) => any
}

export interface Entry {
  record: ProtocolRecord
  /** Published by this node (as opposed to pulled). */
  own: boolean
}

export interface MarketStore {
  getObject(cid: string): Promise<Uint8Array | undefined>
  /** Stores bytes under their CID after checking they hash to it. */
  putObject(cid: string, bytes: Uint8Array): Promise<void>
  entries(): Iterable<Entry>
  entry(publisher: string, name: string): Entry | undefined
  putEntry(entry: Entry): Promise<void>
  load(): Promise<void>
}

async function getOrUndefined (db: MarketDb, key: string): Promise<any> {
  try { return (await db.get(key)) ?? undefined } catch (err: any) {
    if (err?.code === 'LEVEL_NOT_FOUND' || err?.notFound === true) return undefined
    throw err
  }
}

export function createMarketStore (db: MarketDb): MarketStore {
  const entries = new Map<string, Entry>()
  const id = (publisher: string, name: string): string => `${publisher}/${name}`
  return {
    async getObject (cid) {
      const text: string | undefined = await getOrUndefined(db, 'obj:' + cid)
      return text == null ? undefined : new Uint8Array(Buffer.from(text, 'base64'))
    },
    async putObject (cid, bytes) {
      verifyCid(cid, bytes)
      await db.put('obj:' + cid, Buffer.from(bytes).toString('base64'))
    },
    entries: () => entries.values(),
    entry: (publisher, name) => entries.get(id(publisher, name)),
    async putEntry (entry) {
      const key = id(entry.record.publisher, entry.record.name)
      const held = entries.get(key)
      if (held != null && held.record.seq > entry.record.seq) return
      const value = { record: Buffer.from(encodeRecord(entry.record)).toString('base64'), own: entry.own || (held?.own ?? false) }
      await db.put('entry:' + key, value)
      entries.set(key, { record: entry.record, own: value.own })
    },
    async load () {
      for await (const [, value] of db.iterator({ gte: 'entry:', lt: 'entry;' })) {
        try {
          const record = await verifyRecord(new Uint8Array(Buffer.from(value.record, 'base64')), decodeProtocolRecordValue)
          entries.set(id(record.publisher, record.name), { record, own: value.own === true })
        } catch {}
      }
    }
  }
}
