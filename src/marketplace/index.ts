/**
 * The marketplace on the DHT: publish protocol versions (signed record + provider records per
 * keyword and per CID), answer searches and fetches from peers, search the network, pull.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { getRecord, keywordCid, putRecord, signRecord } from '../net/records.js'
import { request } from '../net/rpc.js'
import { decodeSearchAnswer } from './wire.js'
import { handleRequests } from '../net/rpc.js'
import { NotFoundError } from '../errors.js'
import * as C from './constants.js'
import { AmbiguousNameError, ProtocolNotFoundError } from './errors.js'
import { fetchObject } from './fetch.js'
import { limiter } from './channel.js'
import { decodeVersionBlock, isCid, splitQualified } from './objects.js'
import { prepare, readVersion } from './publish.js'
import { protocolRecords } from './record.js'
import { fitAnswer, prefixKeys, searchAnswer, searchNetwork, searchRanked } from './search.js'
import { createMarketStore } from './store.js'
import { decodeFetchRequest, decodeSearchRequest } from './wire.js'
import type { Host } from '../net/host.js'
import type { RecordNamespace } from '../net/records.js'
import type { Block, PublishInput } from './publish.js'
import type { Version } from './objects.js'
import type { ProtocolRecord, ProtocolRecordValue } from './record.js'
import type { SearchHit, SearchOptions } from './search.js'
import type { Entry, MarketDb } from './store.js'
import type { AbortOptions, ComponentLogger, PrivateKey, Startable } from '@libp2p/interface'

export * from './errors.js'
export * as MARKET from './constants.js'
export { protocolRecords, protocolKeywords, decodeProtocolRecordValue } from './record.js'
export { checkFilePath, checkProtocolName, qualifiedName, splitQualified, ADMIN_PUBLISHER } from './objects.js'
export { PushDivergedError } from './publish.js'
export { rankHits } from './search.js'
export type { ProtocolRecord, ProtocolRecordValue } from './record.js'
export type { SearchHit, SearchOptions } from './search.js'
export type { PublishInput, VersionBundle, Block } from './publish.js'
export type { Version } from './objects.js'
export type { Entry, MarketDb } from './store.js'

/** One version received by a pull, with its content (newest first in PullResult.versions). */
export interface PulledVersion extends Version {
  bytes: Uint8Array
  contentBytes: Uint8Array
}

/** Where pulled versions go, if given (a `Repository` from src/repo fits). */
export interface VersionSink {
  importVersions(records: Block[], contents: Block[], options?: AbortOptions): Promise<unknown>
}

export interface MarketplaceComponents {
  host: Host
  privateKey: PrivateKey
  /** The marketplace's sublevel (JSON values). */
  db: MarketDb
  logger: ComponentLogger
  shutdownSignal?: AbortSignal
  repo?: VersionSink
}

export interface MarketplaceInit {
  /** The protocol record namespace registered on this node's DHT (default: a new one). */
  records?: RecordNamespace<ProtocolRecordValue>
  republishInterval?: number
  provideTimeout?: number
  searchTimeout?: number
  searchPeerTimeout?: number
}

export interface PublishResult {
  publisher: string
  /** Its full name on the publisher: `<user>/<name>`, or the bare name for the admin's. */
  name: string
  /** The user of the publishing node who owns it. */
  user: string
  file: string
  version: string
  versions: number
  seq: number
  keywords: string[]
  changed: boolean
  /** DHT peers that stored the record. */
  stored: number
}

export interface PullOptions extends AbortOptions {
  /** A version CID, or a 1-based version number (1 = oldest). Default: the latest. */
  version?: string | number
}

export interface PullResult {
  publisher?: string
  name: string
  /** The file's repository path. */
  file: string
  /** The selected version (default: the latest). */
  selected: PulledVersion
  /** The whole history up to the latest, newest first. */
  versions: PulledVersion[]
  record?: ProtocolRecord
}

/** A protocol's history to look at (`Marketplace.history`). */
export interface HistoryResult {
  publisher?: string
  name: string
  file: string
  /** The whole history up to the latest, newest first. */
  versions: PulledVersion[]
  record?: ProtocolRecord
  /** Peer IDs known to hold it. */
  holders: string[]
}

export interface Marketplace extends Startable {
  readonly records: RecordNamespace<ProtocolRecordValue>
  publish(input: PublishInput, options?: AbortOptions): Promise<PublishResult>
  /** Streams hits as peers answer (a hit is yielded again when it gains holders or a newer record). */
  search(words: string[], options?: SearchOptions): AsyncGenerator<SearchHit>
  searchRanked(words: string[], options?: SearchOptions): Promise<SearchHit[]>
  /** The signed record of `publisher/name` or of a bare name (searched; must be unambiguous). */
  resolve(ref: string, options?: AbortOptions): Promise<{ record: ProtocolRecord, holders: string[] }>
  pull(ref: string, options?: PullOptions): Promise<PullResult>
  /** A protocol's history as a pull reads it (hashes verified), without keeping or announcing it. */
  history(ref: string, options?: AbortOptions): Promise<HistoryResult>
  /** Entries this node holds (published or pulled). */
  entries(): Entry[]
  /** The latest content of a held protocol by file name (own publications first). */
  readFile(file: string, publisher?: string, user?: string): Promise<{ entry: Entry, content: Uint8Array }>
  /** What a publisher publishes (asked directly; at most 50, newest first), each record verified. */
  listPublisher(publisher: string, options?: AbortOptions): Promise<ProtocolRecord[]>
  /** Re-puts held records and re-provides keywords and CIDs. */
  republish(options?: AbortOptions): Promise<void>
}

export function createMarketplace (components: MarketplaceComponents, init: MarketplaceInit = {}): Marketplace {
  const { host, privateKey } = components
  const log = components.logger.forComponent('paip:marketplace')
  const records = init.records ?? protocolRecords()
  const store = createMarketStore(components.db)
  const self = host.peerId.toString()
  let timer: ReturnType<typeof setInterval> | undefined
  let stopping = new AbortController()

  const withDeadline = (options: AbortOptions, ms: number): AbortSignal => AbortSignal.any([
    AbortSignal.timeout(ms), stopping.signal, ...(options.signal == null ? [] : [options.signal]),
    ...(components.shutdownSignal == null ? [] : [components.shutdownSignal])
  ])

  async function provideAll (cids: CID[], options: AbortOptions = {}): Promise<void> {
    // with no DHT peers there is no one to tell: the republish at start and on schedule will
    if (host.services.dht.routingTable.size === 0) return
    const signal = withDeadline(options, init.provideTimeout ?? C.PROVIDE_TIMEOUT)
    await Promise.all(cids.map(async cid => {
      try {
        for await (const _ of host.services.dht.provide(cid, { signal })) { /* drain */ }
      } catch (err: any) {
        log('provide %c failed: %s', cid, err?.message)
      }
    }))
  }

  async function historyCids (head: string): Promise<CID[]> {
    const out: CID[] = []
    let cid: string | null = head
    for (let i = 0; cid != null && i < C.MAX_HISTORY; i++) {
      const bytes = await store.getObject(cid)
      if (bytes == null) break
      const v = decodeVersionBlock(cid, bytes)
      out.push(CID.parse(cid), CID.parse(v.content))
      cid = v.parent
    }
    return out
  }

  const background = new Set<Promise<void>>()
  /** Background announcing never floods the DHT: a few provides at a time. */
  const backgroundLimit = limiter(C.BACKGROUND_PROVIDES)

  /**
   * Provides a record's keywords and the given CIDs. The name's keyword and (unless
   * `headFirst: false`: a publisher serves its head itself) the head version with its content
   * are awaited, so the publication is findable and fetchable when this returns; the other
   * keywords and older history are provided in the background.
   */
  async function announce (record: ProtocolRecord, cids: CID[], options: AbortOptions & { headFirst?: boolean } = {}): Promise<void> {
    const words = record.value.keywords.map(k => keywordCid(C.PROTOCOL_NAMESPACE, k))
    // prefix keys last: exact keywords and the history matter more
    const prefixes = prefixKeys(record.value.keywords).map(p => keywordCid(C.PROTOCOL_PREFIX_NAMESPACE, p))
    const bare = record.name.slice(record.name.indexOf('/') + 1)
    const nameWord = words.find(w => w.equals(keywordCid(C.PROTOCOL_NAMESPACE, bare.split(/[^\p{L}\p{N}]+/u).find(t => t.length >= 2) ?? bare)))
    const head = CID.parse(record.value.version)
    const headIndex = cids.findIndex(c => c.equals(head))
    const first = [...(nameWord == null ? [] : [nameWord]), ...(headIndex < 0 || options.headFirst === false ? [] : cids.slice(headIndex, headIndex + 2))]
    const rest = [...words, ...cids, ...prefixes].filter(c => !first.some(f => f.equals(c)))
    if (rest.length > 0) {
      const later = Promise.all(rest.map(async cid => await backgroundLimit(async () => await provideAll([cid], { signal: stopping.signal }))))
        .then(() => {}).finally(() => { background.delete(later) })
      background.add(later)
    }
    await provideAll(first, options)
  }

  async function walk (head: string, prefer: string[], options: AbortOptions): Promise<PulledVersion[]> {
    const versions: PulledVersion[] = []
    let cid: string | null = head
    const get = async (c: string): Promise<Uint8Array> => {
      const local = await store.getObject(c)
      if (local != null) return local
      const bytes = await fetchObject(host, c, log, { prefer, signal: options.signal })
      await store.putObject(c, bytes)
      return bytes
    }
    while (cid != null && versions.length < C.MAX_HISTORY) {
      const bytes = await get(cid)
      const v = decodeVersionBlock(cid, bytes)
      if (versions.length > 0 && (v.path !== versions[0].path || v.seq !== versions[versions.length - 1].seq - 1)) {
        throw new ProtocolNotFoundError(`${head}: its history is not one file's chain`)
      }
      const contentBytes = await get(v.content)
      versions.push({ ...v, bytes, contentBytes })
      cid = v.parent
    }
    return versions
  }

  /**
   * Resolves `<publisher>/<user>/<name>`, `<publisher>/<name>` (that node's admin's, else the one
   * user of that node who published the name), `<user>/<name>` or a bare `<name>` (searched; must
   * be unambiguous).
   */
  async function resolve (ref: string, options: AbortOptions = {}): Promise<{ record: ProtocolRecord, holders: string[] }> {
    const signal = withDeadline(options, C.PULL_TIMEOUT)
    const parts = String(ref).split('/')
    let publisher: string | undefined
    if (parts.length >= 2 && isPeerId(parts[0])) publisher = parts.shift()
    if (parts.length > 2) throw new ProtocolNotFoundError(`${ref} (not <publisher>/<user>/<name>)`)
    const full = parts.join('/')
    const { name: bare } = splitQualified(full)
    const qualified = full.includes('/')
    // a bare name also matches a user's protocol of that name
    const matches = (name: string): boolean => name === full || (!qualified && splitQualified(name).name === bare)
    const pick = (candidates: ProtocolRecord[]): ProtocolRecord | undefined => {
      const exact = candidates.filter(r => r.name === full)
      const ids = [...new Set((exact.length > 0 ? exact : candidates).map(r => `${r.publisher}/${r.name}`))]
      if (ids.length > 1) throw new AmbiguousNameError(full, [...new Set(candidates.map(r => r.publisher))], ids)
      return (exact.length > 0 ? exact : candidates).sort((a, b) => b.seq - a.seq)[0]
    }
    if (publisher != null) {
      const local = store.entry(publisher, full)
      try {
        const found = await getRecord(host, records, publisher, full, { signal })
        const record = local != null && local.record.seq > found.seq ? local.record : found
        return { record, holders: [publisher] }
      } catch {
        if (local != null) return { record: local.record, holders: [publisher] }
        // the DHT did not answer (or there is no admin's protocol of that name): ask the publisher itself
        const listed = await marketplace.listPublisher(publisher, { signal }).catch(() => [] as ProtocolRecord[])
        const held = [...store.entries()].filter(e => e.record.publisher === publisher).map(e => e.record)
        const found = pick([...listed, ...held].filter(r => matches(r.name)))
        if (found != null) return { record: found, holders: [publisher] }
        // the publisher is away: those who pulled it answer searches for it
        const hits = listed.length > 0 || signal.aborted
          ? []
          : (await searchRanked(searchContext(), [bare], { signal, timeout: init.searchTimeout }).catch(() => [])).filter(h => h.publisher === publisher && matches(h.name))
        const hit = hits.find(h => h.record === pick(hits.map(x => x.record)))
        if (hit != null) return { record: hit.record, holders: hit.holders }
        throw new ProtocolNotFoundError(ref)
      }
    }
    const own = store.entry(self, full)
    if (own?.own === true) return { record: own.record, holders: [self] }
    const hits = (await searchRanked(searchContext(), [bare], { signal, timeout: init.searchTimeout })).filter(h => matches(h.name))
    if (hits.length === 0) {
      const held = pick([...store.entries()].map(e => e.record).filter(r => matches(r.name)))
      if (held != null) return { record: held, holders: [self] }
      throw new ProtocolNotFoundError(`named "${full}"`)
    }
    const chosen = pick(hits.map(h => h.record))
    const hit = hits.find(h => h.record === chosen) ?? hits[0]
    return { record: hit.record, holders: hit.holders }
  }

  async function readHistory (ref: string, signal: AbortSignal): Promise<HistoryResult> {
    let record: ProtocolRecord | undefined
    let head: string
    let prefer: string[] = []
    let holders: string[] = []
    if (isCid(ref)) {
      head = CID.parse(ref).toString()
    } else {
      const resolved = await resolve(ref, { signal })
      record = resolved.record
      holders = resolved.holders
      head = record.value.version
      prefer = [...new Set([record.publisher, ...resolved.holders])].filter(p => p !== self)
    }
    const versions = await walk(head, prefer, { signal })
    const newest = versions[0]
    const name = record?.name ?? newest.path.split('/').pop()?.replace(/\.(ya?ml)$/, '') ?? newest.path
    if (record != null && newest.path !== record.value.file) throw new ProtocolNotFoundError(`${ref}: its version names "${newest.path}", its record "${record.value.file}"`)
    return { publisher: record?.publisher, name, file: newest.path, versions, record, holders }
  }

  /**
   * Puts a record; when no peer stored it (a busy or partitioned network), tries once more,
   * then leaves it to a background retry and the scheduled republish (the node itself holds
   * the record and answers searches for it meanwhile).
   */
  async function putOrRetryLater (record: ProtocolRecord, signal: AbortSignal, caller?: AbortSignal): Promise<{ stored: number }> {
    for (let attempt = 0; attempt < 2 && !signal.aborted; attempt++) {
      try {
        return await putRecord(host, records, record, { signal })
      } catch (err: any) {
        if (err?.name !== 'RecordNotStoredError' || caller?.aborted === true || stopping.signal.aborted) throw err
        log('put of %s failed (attempt %d): %s', record.name, attempt + 1, err.message)
      }
    }
    const later = (async () => {
      const stop = stopping.signal
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, C.PUT_RETRY_DELAY)
        stop.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
      if (stop.aborted) return
      await putRecord(host, records, record, { signal: stopping.signal }).catch(err => { log('retried put of %s failed: %s', record.name, err?.message) })
    })().finally(() => { background.delete(later) })
    background.add(later)
    return { stored: 0 }
  }

  const searchContext = () => ({ host, records, localEntries: () => store.entries(), log })

  const marketplace: Marketplace = {
    records,

    async start () {
      stopping = new AbortController()
      await store.load()
      await handleRequests(host, C.SEARCH_PROTOCOL, decodeSearchRequest,
        async req => req.all === true
          ? fitAnswer([...store.entries()].filter(e => e.own).sort((a, b) => b.record.time - a.record.time).slice(0, req.limit))
          : searchAnswer(store.entries(), req.keywords, req.limit), { maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
      await handleRequests(host, C.FETCH_PROTOCOL, decodeFetchRequest, async req => {
        const bytes = await store.getObject(req.cid)
        if (bytes == null) throw new NotFoundError(`no object ${req.cid}`)
        return { data: Buffer.from(bytes).toString('base64') }
      }, { maxMessageBytes: C.MAX_FETCH_MESSAGE_BYTES })
      // after a restart: announce again what this node holds, in the background
      const first = (async () => {
        // wait (bounded) for DHT peers: announcing into an empty routing table reaches no one
        const until = Date.now() + C.START_REPUBLISH_WAIT
        while (host.services.dht.routingTable.size === 0 && Date.now() < until && !stopping.signal.aborted) {
          await new Promise(resolve => setTimeout(resolve, 200))
        }
        if (!stopping.signal.aborted && [...store.entries()].length > 0) await marketplace.republish()
      })().catch(err => { log('republish after start failed: %s', err?.message) }).finally(() => { background.delete(first) })
      background.add(first)
      const every = init.republishInterval ?? C.REPUBLISH_INTERVAL
      if (every > 0) {
        timer = setInterval(() => { void marketplace.republish().catch(err => { log('republish failed: %s', err?.message) }) }, every)
        timer.unref?.()
      }
    },

    async stop () {
      stopping.abort(new Error('the marketplace is stopping'))
      if (timer != null) clearInterval(timer)
      timer = undefined
      await Promise.allSettled([...background])
      await host.unhandle(C.SEARCH_PROTOCOL).catch(() => {})
      await host.unhandle(C.FETCH_PROTOCOL).catch(() => {})
    },

    async publish (input, options = {}) {
      const prepared = await prepare(store, input, name => { const e = store.entry(self, name); return e?.own === true ? e.record.value.version : undefined })
      const previous = store.entry(self, prepared.name)
      const same = previous != null && !prepared.changed &&
        JSON.stringify(previous.record.value) === JSON.stringify(prepared.value)
      let record = previous?.record
      let stored = 0
      if (!same || record == null) {
        const seq = Math.max((previous?.record.seq ?? 0) + 1, Date.now())
        record = await signRecord(privateKey, { namespace: C.PROTOCOL_NAMESPACE, name: prepared.name, seq, value: prepared.value })
        await store.putEntry({ record, own: true })
        const signal = withDeadline(options, init.provideTimeout ?? C.PROVIDE_TIMEOUT)
        const [put] = await Promise.all([
          putOrRetryLater(record, signal, options.signal),
          announce(record, (await historyCids(prepared.head.cid)).filter(c => previous == null || prepared.added.includes(c.toString())), { signal, headFirst: false })
        ])
        stored = put.stored
      }
      log('published %s/%s at %s (%d versions)', self, prepared.name, record.value.version, record.value.versions)
      return {
        publisher: self, name: record.name, user: record.value.user, file: record.value.file, version: record.value.version,
        versions: record.value.versions, seq: record.seq, keywords: record.value.keywords, changed: !same, stored
      }
    },

    search: (words, options = {}) => searchNetwork(searchContext(), words, { timeout: init.searchTimeout, peerTimeout: init.searchPeerTimeout, ...options }),
    searchRanked: async (words, options = {}) => searchRanked(searchContext(), words, { timeout: init.searchTimeout, peerTimeout: init.searchPeerTimeout, ...options }),
    resolve,

    history: async (ref, options = {}) => await readHistory(ref, withDeadline(options, C.PULL_TIMEOUT)),

    async pull (ref, options = {}) {
      const signal = withDeadline(options, C.PULL_TIMEOUT)
      const { record, versions, name } = await readHistory(ref, signal)
      const newest = versions[0]
      if (record != null) await store.putEntry({ record, own: false })
      let selected = newest
      if (options.version != null) {
        const v = String(options.version)
        const found = /^\d+$/.test(v) ? versions.find(x => x.seq === Number(v)) : versions.find(x => x.cid === v || (v.length >= 8 && x.cid.startsWith(v)))
        if (found == null) throw new ProtocolNotFoundError(`${ref} version ${v}`)
        selected = found
      }
      const cids = versions.flatMap(v => [CID.parse(v.cid), CID.parse(v.content)])
      if (record != null) await announce(record, cids, { signal })
      else await provideAll(cids, { signal })
      if (components.repo != null) {
        const { records: recs, contents } = blocksOf(versions)
        await components.repo.importVersions(recs, contents, { signal })
      }
      return { publisher: record?.publisher, name, file: newest.path, selected, versions, record }
    },

    entries: () => [...store.entries()],

    async listPublisher (publisher, options = {}) {
      const peer = peerIdFromString(publisher)
      if (peer.equals(host.peerId)) return [...store.entries()].filter(e => e.own).map(e => e.record)
      const signal = withDeadline(options, C.FETCH_TIMEOUT)
      const answer = await request(host, peer, C.SEARCH_PROTOCOL, { all: true, limit: C.MAX_SEARCH_ANSWERS }, decodeSearchAnswer,
        { signal, maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
      const out: ProtocolRecord[] = []
      for (const { record } of answer.entries) {
        try {
          const bytes = new Uint8Array(Buffer.from(record, 'base64'))
          const payload = JSON.parse(JSON.parse(new TextDecoder().decode(bytes)).payload)
          const checked = await records.check(records.key(publisher, String(payload?.name ?? '')), bytes)
          out.push(checked)
        } catch (err: any) {
          log('listing from %s: dropped a bad entry: %s', publisher, err?.message)
        }
      }
      return out
    },

    async readFile (file, publisher, user) {
      const matches = [...store.entries()].filter(e => (e.record.value.file === file || e.record.name === file) &&
        (publisher == null || e.record.publisher === publisher) && (user == null || e.record.value.user === user))
      matches.sort((a, b) => Number(b.own) - Number(a.own) || b.record.time - a.record.time)
      const entry = matches[0]
      if (entry == null) throw new ProtocolNotFoundError(`file "${file}"`)
      const version = await readVersion(store, entry.record.value.version)
      const content = await store.getObject(version.content)
      if (content == null) throw new ProtocolNotFoundError(`content of "${file}"`)
      return { entry, content }
    },

    async republish (options = {}) {
      for (const entry of [...store.entries()]) {
        if (stopping.signal.aborted) return
        const signal = withDeadline(options, init.provideTimeout ?? C.PROVIDE_TIMEOUT)
        await putRecord(host, records, entry.record, { signal }).catch(err => { log('re-put %s failed: %s', entry.record.name, err?.message) })
        await announce(entry.record, await historyCids(entry.record.value.version), { signal })
      }
    }
  }
  return marketplace
}

function isPeerId (text: string): boolean {
  try { peerIdFromString(text); return true } catch { return false }
}

/** The repository blocks of pulled versions: what `Repository.importVersions` takes. */
export function blocksOf (versions: PulledVersion[]): { records: Block[], contents: Block[] } {
  const contents = new Map<string, Block>()
  for (const v of versions) contents.set(v.content, { cid: v.content, bytes: v.contentBytes })
  return { records: versions.map(v => ({ cid: v.cid, bytes: v.bytes })), contents: [...contents.values()] }
}
