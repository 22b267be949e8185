import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { Level } from 'level'
import { cidOf, digestOf } from './cid.js'
import { JSON_CODEC, RAW_CODEC } from './constants.js'
import { RepositoryBusyError, RepositoryCorruptError } from './errors.js'
import type { AbstractSublevel } from 'abstract-level'

const log = logger('paip:repo')

type Db = Level<string, any>
type Sub<V> = AbstractSublevel<Db, string | Buffer | Uint8Array, string, V>

/** What `add` recorded for a path: the content (stored already) to commit. */
export interface StagedEntry {
  content: string
  size: number
  time: string
}

/** A tag: the versions it names, by path. */
export interface TagEntry {
  versions: Record<string, string>
  time: string
  author: string
}

/** One change in an atomic write. */
export type Op =
  | { type: 'put', sublevel: Sub<any>, key: string, value: any }
  | { type: 'del', sublevel: Sub<any>, key: string }

/**
 * The repository's level database: `objects` (CID → bytes, contents and version records),
 * `staged` (path → entry), `heads` (path → version CID), `versions` (version CID → path, to
 * resolve prefixes), `history` (every version of a file, in order), `tags` (name → versions),
 * `meta` (the write count). Reads of objects verify their hash.
 */
export class RepoStore {
  readonly db: Db
  readonly objects: Sub<Uint8Array>
  readonly staged: Sub<StagedEntry>
  readonly heads: Sub<string>
  readonly versions: Sub<string>
  readonly tags: Sub<TagEntry>
  readonly meta: Sub<number>
  /** `<path>\0<seq, 12 digits>\0<version CID>` → '': every version of a file, to read a history at once. */
  readonly history: Sub<string>
  /** How many writes the database holds; mirrored in a file beside it to notice lost ones. */
  private writes = 0
  private readonly writesFile: string

  private constructor (db: Db, writesFile: string) {
    this.db = db
    this.writesFile = writesFile
    this.meta = db.sublevel<string, number>('meta', { valueEncoding: 'json' }) as unknown as Sub<number>
    this.history = db.sublevel<string, string>('history', { valueEncoding: 'utf8' }) as unknown as Sub<string>
    this.objects = db.sublevel<string, Uint8Array>('objects', { valueEncoding: 'view' }) as unknown as Sub<Uint8Array>
    this.staged = db.sublevel<string, StagedEntry>('staged', { valueEncoding: 'json' }) as unknown as Sub<StagedEntry>
    this.heads = db.sublevel<string, string>('heads', { valueEncoding: 'utf8' }) as unknown as Sub<string>
    this.versions = db.sublevel<string, string>('versions', { valueEncoding: 'utf8' }) as unknown as Sub<string>
    this.tags = db.sublevel<string, TagEntry>('tags', { valueEncoding: 'json' }) as unknown as Sub<TagEntry>
  }

  /**
   * Opens the database at `path`; an unreadable one, or one holding fewer writes than were
   * made (level drops a damaged log record silently), is a `RepositoryCorruptError`.
   */
  static async open (path: string, dir: string, createIfMissing: boolean): Promise<RepoStore> {
    const db: Db = new Level<string, any>(path, { valueEncoding: 'json', createIfMissing, errorIfExists: false })
    try {
      await db.open()
    } catch (err: any) {
      const cause = err.cause ?? err
      if (cause?.code === 'LEVEL_LOCKED' || /\block\b/i.test(String(cause?.message))) throw new RepositoryBusyError(dir)
      throw new RepositoryCorruptError(`cannot open its database (${String(cause?.message ?? err.message).split('\n')[0]})`, { dir }, { cause: err })
    }
    log('opened %s', path)
    const store = new RepoStore(db, `${path}.writes`)
    try {
      await store.checkWrites(dir)
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  private async checkWrites (dir: string): Promise<void> {
    this.writes = await this.get(this.meta, 'writes') ?? 0
    const text = await readFile(this.writesFile, 'utf8').catch(() => undefined)
    const made = text == null ? 0 : Number.parseInt(text, 10)
    if (Number.isSafeInteger(made) && made > this.writes) {
      throw new RepositoryCorruptError(`the database lost writes (it holds ${this.writes} of the ${made} made)`, { dir, holds: this.writes, made })
    }
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** Applies every change at once (all or nothing, synced to disk). */
  async write (ops: Op[]): Promise<void> {
    if (ops.length === 0) return
    const writes = this.writes + 1
    log('writing %d changes', ops.length)
    await this.guard(async () => { await this.db.batch([...ops, { type: 'put', sublevel: this.meta, key: 'writes', value: writes }] as any, { sync: true } as any) })
    this.writes = writes
    log('wrote %d changes', ops.length)
    // written after the database, so it is never ahead of what the database really holds
    const temp = `${this.writesFile}.${process.pid}.tmp`
    await writeFile(temp, `${writes}\n`)
    await rename(temp, this.writesFile)
  }

  /** Reads `key` of a sublevel; undefined when absent; a database failure is "corrupt". */
  async get<V> (sub: Sub<V>, key: string): Promise<V | undefined> {
    return await this.guard(async () => await sub.get(key) ?? undefined)
  }

  /** Many keys of a sublevel at once. */
  async getMany<V> (sub: Sub<V>, keys: string[]): Promise<Array<V | undefined>> {
    if (keys.length === 0) return []
    return await this.guard(async () => await sub.getMany(keys))
  }

  /** The keys of a sublevel in [gte, lt). */
  async keys (sub: Sub<any>, gte: string, lt: string): Promise<string[]> {
    return await this.guard(async () => await sub.keys({ gte, lt }).all())
  }

  /** Which of these objects are stored (not verified). */
  async hasObjects (cids: string[]): Promise<boolean[]> {
    if (cids.length === 0) return []
    return await this.guard(async () => await this.objects.hasMany(cids))
  }

  /** Every entry of a sublevel whose key starts with `prefix`. */
  async entries<V> (sub: Sub<V>, prefix = ''): Promise<Array<[string, V]>> {
    return await this.guard(async () => {
      const range = prefix === '' ? {} : { gte: prefix, lt: `${prefix}\uffff` }
      return await sub.iterator(range).all()
    })
  }

  /** The bytes of the object `cid`, verified; missing or mismatching is a `RepositoryCorruptError`. */
  async getObject (cid: string): Promise<Uint8Array> {
    const bytes = await this.get(this.objects, cid)
    if (bytes == null) throw new RepositoryCorruptError(`object ${cid} is missing`, { cid })
    verify(cid, bytes)
    return bytes
  }

  /** Many objects at once, each verified. */
  async getObjects (cids: string[]): Promise<Uint8Array[]> {
    if (cids.length === 0) return []
    const values = await this.guard(async () => await this.objects.getMany(cids))
    return values.map((bytes, i) => {
      if (bytes == null) throw new RepositoryCorruptError(`object ${cids[i]} is missing`, { cid: cids[i] })
      verify(cids[i], bytes)
      return bytes
    })
  }

  async hasObject (cid: string): Promise<boolean> {
    return await this.guard(async () => await this.objects.has(cid))
  }

  private async guard<T> (fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err: any) {
      if (err instanceof RepositoryCorruptError) throw err
      const cause = err.cause ?? err
      if (cause?.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(String(cause?.message))) {
        throw new RepositoryCorruptError(`database read failed (${String(cause?.message).split('\n')[0]})`, undefined, { cause: err })
      }
      throw err
    }
  }
}

export { cidOf }

/** True when `value` is a v1 sha2-256 CID string of `codec` (its one canonical spelling). */
export function parseCid (value: unknown, codec: number): boolean {
  return digestOf(value, codec) != null
}

/** Throws a `RepositoryCorruptError` unless `bytes` hash to `cid`. */
export function verify (cid: string, bytes: Uint8Array): void {
  const expected = digestOf(cid, RAW_CODEC) ?? digestOf(cid, JSON_CODEC)
  if (expected == null) throw new RepositoryCorruptError(`bad object key ${cid.slice(0, 100)}`, { cid })
  const digest = createHash('sha256').update(bytes).digest()
  if (!equal(expected, digest)) throw new RepositoryCorruptError(`object ${cid} does not match its hash`, { cid })
}

export function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
