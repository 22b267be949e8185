import type { EntryKind, Metadata } from './schema.js'
import type { AbstractLevel } from 'abstract-level'

/** A dataset or model this node holds: its metadata, its manifest CID and its size. */
export type CatalogEntry = Metadata & {
  kind: EntryKind
  public: boolean
  /** CID of the manifest (the list of files): the entry's content address. */
  manifest: string
  /** Total bytes of its files. */
  size: number
  /** Number of files. */
  files: number
  /** When it was added on this node (ISO 8601). */
  addedAt: string
  /** The peer it was fetched from, when it was copied from another node. */
  fetchedFrom?: string
  /**
   * The user of its node who added (or fetched) it: only they or the node's admin may delete
   * it. Entries added before owners were recorded have none and are the admin's.
   */
  owner?: string
}

/** A level database (or sublevel) with string keys. */
export type CatalogDb = AbstractLevel<any, string, any>

interface Record { entry: CatalogEntry, cids: string[] }

const ENTRY = 'e!'
const REF = 'r!'

function entryKey (kind: EntryKind, name: string): string {
  return `${ENTRY}${kind}/${name}`
}

/**
 * The catalog's records in level: `e!<kind>/<name>` holds an entry and the CIDs of every blob
 * it uses; `r!<cid>!<kind>/<name>` marks that the entry uses the blob, so a delete knows which
 * blobs no other entry needs and a fetch request knows which entries a CID belongs to.
 */
export class CatalogStore {
  private readonly db: AbstractLevel<any, string, any>

  constructor (db: CatalogDb) {
    this.db = db.sublevel<string, any>('catalog', { valueEncoding: 'json' }) as any
  }

  async get (kind: EntryKind, name: string): Promise<CatalogEntry | undefined> {
    const record: Record | undefined = await this.db.get(entryKey(kind, name))
    return record?.entry
  }

  async put (entry: CatalogEntry, cids: string[]): Promise<void> {
    const key = entryKey(entry.kind, entry.name)
    await this.db.batch([
      { type: 'put', key, value: { entry, cids } },
      ...cids.map(cid => ({ type: 'put' as const, key: `${REF}${cid}!${entry.kind}/${entry.name}`, value: 1 }))
    ])
  }

  /** Removes an entry; answers the CIDs of blobs no other entry uses. */
  async remove (kind: EntryKind, name: string): Promise<{ entry: CatalogEntry, orphans: string[] } | undefined> {
    const key = entryKey(kind, name)
    const record: Record | undefined = await this.db.get(key)
    if (record == null) return undefined
    await this.db.batch([
      { type: 'del', key },
      ...record.cids.map(cid => ({ type: 'del' as const, key: `${REF}${cid}!${kind}/${name}` }))
    ])
    const orphans: string[] = []
    for (const cid of record.cids) {
      if ((await this.users(cid)).length === 0) orphans.push(cid)
    }
    return { entry: record.entry, orphans }
  }

  /** Every blob CID an entry uses (manifests, files, block lists). */
  async * cids (): AsyncGenerator<string> {
    for await (const key of this.db.keys({ gt: REF, lt: `${REF}\xff` })) yield key.slice(REF.length, key.indexOf('!', REF.length))
  }

  /** The entries (`kind/name`) using a blob. */
  async users (cid: string): Promise<Array<{ kind: EntryKind, name: string }>> {
    const prefix = `${REF}${cid}!`
    const out: Array<{ kind: EntryKind, name: string }> = []
    for await (const key of this.db.keys({ gte: prefix, lt: `${prefix}\xff` })) {
      const [kind, ...rest] = key.slice(prefix.length).split('/')
      out.push({ kind: kind as EntryKind, name: rest.join('/') })
    }
    return out
  }

  /** Entries using a blob (e.g. the entries whose manifest is this CID). */
  async entriesUsing (cid: string): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = []
    for (const { kind, name } of await this.users(cid)) {
      const entry = await this.get(kind, name)
      if (entry != null) out.push(entry)
    }
    return out
  }

  async * list (kind?: EntryKind): AsyncIterable<CatalogEntry> {
    const prefix = kind == null ? ENTRY : `${ENTRY}${kind}/`
    for await (const value of this.db.values({ gte: prefix, lt: `${prefix}\xff` })) {
      yield (value as Record).entry
    }
  }
}
