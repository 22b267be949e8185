import { JSON_CODEC, MIN_PREFIX_CHARS } from './constants.js'
import { AmbiguousVersionError, RepositoryCorruptError, UnknownVersionError } from './errors.js'
import { decodeVersion } from './records.js'
import { parseCid } from './store.js'
import type { Version } from './records.js'
import type { RepoStore } from './store.js'

/** Reads and verifies the version `cid` (hash, shape, and that it is indexed for its path). */
export async function readVersion (store: RepoStore, cid: string): Promise<Version> {
  const bytes = await store.getObject(cid)
  const version = decodeVersion(cid, bytes)
  if (typeof version === 'string') throw new RepositoryCorruptError(`version ${cid}: ${version}`, { cid })
  return version
}

/** Many versions at once (one database read), each verified like `readVersion`. */
export async function readVersions (store: RepoStore, cids: string[]): Promise<Version[]> {
  const blocks = await store.getObjects(cids)
  return blocks.map((bytes, i) => {
    const version = decodeVersion(cids[i], bytes)
    if (typeof version === 'string') throw new RepositoryCorruptError(`version ${cids[i]}: ${version}`, { cid: cids[i] })
    return version
  })
}

/** The head version of each path (undefined for paths never committed), checked to be of that path. */
export async function headsOf (store: RepoStore, paths: string[]): Promise<Array<Version | undefined>> {
  const cids = await store.getMany(store.heads, paths)
  const present = cids.flatMap((cid, i) => cid == null ? [] : [i])
  const versions = await readVersions(store, present.map(i => cids[i] as string))
  const heads: Array<Version | undefined> = paths.map(() => undefined)
  present.forEach((index, k) => {
    if (versions[k].path !== paths[index]) throw new RepositoryCorruptError(`head of ${paths[index]} names a version of ${versions[k].path}`, { path: paths[index] })
    heads[index] = versions[k]
  })
  return heads
}

/** The head version of `path`, or undefined when it was never committed. */
export async function headOf (store: RepoStore, path: string): Promise<Version | undefined> {
  const cid = await store.get(store.heads, path)
  if (cid == null) return undefined
  const head = await readVersion(store, cid)
  if (head.path !== path) throw new RepositoryCorruptError(`head of ${path} names a version of ${head.path}`, { path, cid })
  return head
}

/** The `history` key of a version. */
export function historyKey (version: { path: string, seq: number, cid: string }): string {
  return `${version.path}\0${String(version.seq).padStart(12, '0')}\0${version.cid}`
}

/**
 * The versions from `start` back to the first (newest first; at most `limit`), checking the
 * chain: read at once through the `history` index, following parents one by one only where
 * the index lacks one.
 */
export async function historyOf (store: RepoStore, start: Version, options: { limit?: number, signal?: AbortSignal } = {}): Promise<Version[]> {
  const limit = options.limit ?? Infinity
  const lowest = Number.isFinite(limit) ? Math.max(1, start.seq - limit + 1) : 1
  const prefix = `${start.path}\0`
  const keys = await store.keys(store.history, `${prefix}${String(lowest).padStart(12, '0')}`, `${prefix}${String(start.seq + 1).padStart(12, '0')}`)
  const cids = keys.map(key => key.slice(key.lastIndexOf('\0') + 1)).filter(cid => cid !== start.cid)
  const known = new Map((await readVersions(store, cids)).map(v => [v.cid, v]))
  const versions: Version[] = []
  let version = start
  for (;;) {
    versions.push(version)
    if (versions.length >= limit || version.parent == null) return versions
    options.signal?.throwIfAborted()
    const parent: Version = known.get(version.parent) ?? await readVersion(store, version.parent)
    if (parent.path !== version.path || parent.seq !== version.seq - 1) {
      throw new RepositoryCorruptError(`version ${version.cid} has a parent that breaks its chain`, { cid: version.cid })
    }
    version = parent
  }
}

/** What a reference names: one version, or a set of versions by path (a tag, HEAD). */
export type Resolved =
  | { kind: 'version', version: Version }
  | { kind: 'set', name: string, versions: Map<string, Version> }

/**
 * Resolves a reference: a tag name, `HEAD` (every head), `<path>@<N>` (the N-th version of a
 * file, `@-1` the previous head...), a full version CID or a unique prefix of one.
 */
export async function resolveRef (store: RepoStore, ref: string, signal?: AbortSignal): Promise<Resolved> {
  const tag = await store.get(store.tags, ref)
  if (tag != null) {
    const versions = new Map<string, Version>()
    for (const [path, cid] of Object.entries(tag.versions)) versions.set(path, await readVersion(store, cid))
    return { kind: 'set', name: ref, versions }
  }
  if (ref === 'HEAD') {
    const versions = new Map<string, Version>()
    for (const [path, cid] of await store.entries(store.heads)) versions.set(path, await readVersion(store, cid))
    return { kind: 'set', name: ref, versions }
  }
  const at = ref.lastIndexOf('@')
  if (at > 0 && /^-?\d+$/.test(ref.slice(at + 1))) {
    return { kind: 'version', version: await nthVersion(store, ref.slice(0, at), Number(ref.slice(at + 1)), ref, signal) }
  }
  return { kind: 'version', version: await readVersion(store, await resolveVersionCid(store, ref)) }
}

/** The full CID of a version given by its CID or a unique prefix. */
export async function resolveVersionCid (store: RepoStore, ref: string): Promise<string> {
  if (parseCid(ref, JSON_CODEC)) {
    if (await store.get(store.versions, ref) == null) throw new UnknownVersionError(ref)
    return ref
  }
  if (ref.length < MIN_PREFIX_CHARS || !/^[a-z2-7]+$/.test(ref)) throw new UnknownVersionError(ref)
  const matches = await store.entries(store.versions, ref)
  if (matches.length === 0) throw new UnknownVersionError(ref)
  if (matches.length > 1) throw new AmbiguousVersionError(ref, matches.slice(0, 10).map(([cid]) => cid))
  return matches[0][0]
}

async function nthVersion (store: RepoStore, path: string, n: number, ref: string, signal?: AbortSignal): Promise<Version> {
  const cid = await store.get(store.heads, path)
  if (cid == null) throw new UnknownVersionError(ref)
  const head = await readVersion(store, cid)
  const seq = n > 0 ? n : head.seq + n
  if (seq < 1 || seq > head.seq) throw new UnknownVersionError(ref)
  const found = (await historyOf(store, head, { limit: head.seq - seq + 1, signal })).at(-1)
  if (found?.seq !== seq) throw new UnknownVersionError(ref)
  return found
}
