/**
 * A local protocol repository seen through the marketplace's read side: what the portal and
 * the marketplace's read routes need (search, history, entries, a file's content), read from
 * the repository on disk. Every write refuses: `paip serve` is read-only.
 */
import { basename } from 'node:path'
import { PaipError } from '../errors.js'
import { protocolKeywords, ProtocolNotFoundError } from '../marketplace/index.js'
import { matchCount } from '../marketplace/search.js'
import { normaliseKeywords } from '../net/records.js'
import { validateProtocol } from '../protocol/index.js'
import { openRepository } from '../repo/index.js'
import type { Entry, HistoryResult, Marketplace, ProtocolRecord, SearchHit } from '../marketplace/index.js'
import type { Repository } from '../repo/index.js'

/** `paip serve` never changes the repository. */
export class ReadOnlyError extends PaipError {
  static name = 'ReadOnlyError'
  name = 'ReadOnlyError'
  constructor () { super('this is a read-only view of a local repository (paip serve)', 'forbidden') }
}

/** The publisher shown for a local repository's protocols (there is no node). */
export const LOCAL_PUBLISHER = 'local'

export interface RepoMarketInit {
  /** How long a snapshot of the repository is reused before reading it again (ms). */
  refreshInterval?: number
  /** How long to wait for the repository's lock (another paip command may hold it). */
  lockWait?: number
}

export interface RepoMarket extends Pick<Marketplace, 'search' | 'searchRanked' | 'history' | 'entries' | 'readFile' | 'publish' | 'pull' | 'resolve' | 'listPublisher'> {
  /** Reads the repository again if the snapshot is older than the refresh interval. */
  refresh: () => Promise<void>
}

interface Held { entry: Entry, content: Uint8Array }

export function createRepoMarket (root: string, init: RepoMarketInit = {}): RepoMarket {
  let held: Held[] = []
  let readAt = -Infinity
  let reading: Promise<void> | undefined

  async function withRepo<T> (fn: (repo: Repository) => Promise<T>): Promise<T> {
    // opened per read and closed at once: the user's own paip commands keep working meanwhile
    const repo = await openRepository(root, { lockWait: init.lockWait ?? 5000 })
    try { return await fn(repo) } finally { await repo.close() }
  }

  async function read (): Promise<void> {
    held = await withRepo(async repo => {
      const out: Held[] = []
      for (const { path, head } of await repo.files()) {
        if (!/\.ya?ml$/i.test(path)) continue
        const content = await repo.readContent(head.content)
        const doc: any = validateProtocol(content).protocol
        const name = typeof doc?.name === 'string' ? doc.name : basename(path).replace(/\.ya?ml$/i, '')
        const description = typeof doc?.description === 'string' ? doc.description : ''
        const record = {
          publisher: LOCAL_PUBLISHER,
          name,
          seq: head.seq,
          time: Date.parse(head.time),
          value: { user: head.author, file: path, version: head.cid, versions: head.seq, keywords: protocolKeywords(name, doc), description: description.split('\n')[0].slice(0, 500) }
        } as unknown as ProtocolRecord
        out.push({ entry: { record, own: true }, content })
      }
      return out
    })
    readAt = Date.now()
  }

  async function refresh (): Promise<void> {
    if (Date.now() - readAt < (init.refreshInterval ?? 1000)) return
    reading ??= read().finally(() => { reading = undefined })
    await reading
  }

  function find (ref: string): Held {
    const name = ref.startsWith(`${LOCAL_PUBLISHER}/`) ? ref.slice(LOCAL_PUBLISHER.length + 1) : ref
    const found = held.find(h => h.entry.record.name === name) ?? held.find(h => h.entry.record.value.file === name)
    if (found == null) throw new ProtocolNotFoundError(`"${ref}" in this repository`)
    return found
  }

  function hits (words: string[]): SearchHit[] {
    const query = normaliseKeywords(...words)
    const out: SearchHit[] = []
    for (const { entry } of held) {
      const { record } = entry
      const matched = matchCount(record.value, record.name, query)
      if (matched === 0) continue
      out.push({ publisher: record.publisher, name: record.name, ...record.value, time: record.time, seq: record.seq, holders: [], matched, record })
    }
    return out.sort((a, b) => b.matched - a.matched || b.time - a.time)
  }

  const readOnly = async (): Promise<never> => { throw new ReadOnlyError() }

  return {
    refresh,
    entries: () => held.map(h => h.entry),
    async * search (words) {
      await refresh()
      yield * hits(words)
    },
    async searchRanked (words, options = {}) {
      await refresh()
      return hits(words).slice(0, options.limit ?? Infinity)
    },
    async history (ref) {
      await refresh()
      const { entry } = find(ref)
      const file = entry.record.value.file
      const versions = await withRepo(async repo => {
        const log = await repo.log(file)
        return await Promise.all(log.map(async v => ({ ...v, bytes: new Uint8Array(), contentBytes: await repo.readContent(v.content) }) as any))
      })
      return { publisher: LOCAL_PUBLISHER, name: entry.record.name, file, versions, record: entry.record, holders: [] } satisfies HistoryResult
    },
    async readFile (file) {
      await refresh()
      const { entry, content } = find(file)
      return { entry, content }
    },
    publish: readOnly,
    pull: readOnly,
    resolve: readOnly,
    listPublisher: readOnly
  }
}
