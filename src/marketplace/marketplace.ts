import { signRecord } from '../net/records.js'
import { createRouting } from '../net/routing.js'
import { announceRecord, historyCids, putOrRetryLater, republishAfterStart, republishRecords } from './announce.js'
import * as C from './constants.js'
import { ProtocolNotFoundError } from './errors.js'
import { handleMarketProtocols, listPublisher, unhandleMarketProtocols } from './listing.js'
import { prepare, readVersion } from './publish.js'
import { pull, readHistory } from './pull.js'
import { protocolRecords } from './record.js'
import { resolveRef } from './resolve.js'
import { searchNetwork, searchRanked } from './search.js'
import { createMarketStore } from './store.js'
import type { MarketContext } from './context.js'
import type { PublishInput } from './publish.js'
import type { Marketplace, MarketplaceComponents, MarketplaceInit, PublishResult } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * Publishes a file or a pushed history: the record is signed and kept, then put in the DHT
 * while the name's keyword is announced; both awaited until enough peers hold them to be
 * found (the other keywords and the history's CIDs follow in the background).
 */
async function publish (ctx: MarketContext, input: PublishInput, options: AbortOptions = {}): Promise<PublishResult> {
  const { store, self } = ctx
  const prepared = await prepare(store, input, name => { const e = store.entry(self, name); return e?.own === true ? e.record.value.version : undefined })
  const previous = store.entry(self, prepared.name)
  const same = previous != null && !prepared.changed && JSON.stringify(previous.record.value) === JSON.stringify(prepared.value)
  let record = previous?.record
  let stored = 0
  if (!same || record == null) {
    const seq = Math.max((previous?.record.seq ?? 0) + 1, Date.now())
    record = await signRecord(ctx.privateKey, { namespace: C.PROTOCOL_NAMESPACE, name: prepared.name, seq, value: prepared.value })
    await store.putEntry({ record, own: true })
    const signal = ctx.deadline(options, ctx.init.provideTimeout ?? C.PROVIDE_TIMEOUT)
    const cids = (await historyCids(store, prepared.head.cid)).filter(c => previous == null || prepared.added.includes(c.toString()))
    const [put] = await Promise.all([
      putOrRetryLater(ctx, record, signal, options.signal),
      announceRecord(ctx, record, cids, { signal })
    ])
    stored = put.stored
  }
  ctx.log('published %s/%s at %s (%d versions)', self, prepared.name, record.value.version, record.value.versions)
  return {
    publisher: self, name: record.name, user: record.value.user, file: record.value.file, version: record.value.version,
    versions: record.value.versions, seq: record.seq, keywords: record.value.keywords, changed: !same, stored
  }
}

/** The marketplace's context: its parts, deadlines and background work. */
function createContext (components: MarketplaceComponents, init: MarketplaceInit, background: Set<Promise<unknown>>): MarketContext & { restart: () => AbortController } {
  const { host } = components
  const log = components.logger.forComponent('paip:marketplace')
  let stopping = new AbortController()
  const routing = components.routing ?? createRouting({ host, logger: components.logger, db: components.db.sublevel?.('routing', { valueEncoding: 'json' }) }, { provideTimeout: init.provideTimeout })
  return {
    host,
    privateKey: components.privateKey,
    records: init.records ?? protocolRecords(),
    store: createMarketStore(components.db),
    routing,
    log,
    init,
    self: host.peerId.toString(),
    repo: components.repo,
    stopping: () => stopping.signal,
    restart: () => { stopping = new AbortController(); return stopping },
    deadline: (options, ms) => AbortSignal.any([
      AbortSignal.timeout(ms), stopping.signal, ...(options.signal == null ? [] : [options.signal]),
      ...(components.shutdownSignal == null ? [] : [components.shutdownSignal])
    ]),
    background (what, work) {
      const running: Promise<unknown> = work().catch(err => { log.error('%s failed: %s', what, err?.message ?? err) }).finally(() => { background.delete(running) })
      background.add(running)
    }
  }
}

export function createMarketplace (components: MarketplaceComponents, init: MarketplaceInit = {}): Marketplace {
  const background = new Set<Promise<unknown>>()
  const ctx = createContext(components, init, background)
  // a marketplace built alone (tests, tools) runs the routing service it made itself
  const ownRouting = components.routing == null
  let controller = new AbortController()
  let timer: ReturnType<typeof setInterval> | undefined

  return {
    records: ctx.records,
    async start () {
      controller = ctx.restart()
      await ctx.store.load()
      if (ownRouting) await ctx.routing.start()
      await handleMarketProtocols(ctx)
      // after a restart: put the held records again, in the background
      republishAfterStart(ctx)
      const every = init.republishInterval ?? C.REPUBLISH_INTERVAL
      if (every > 0) {
        timer = setInterval(() => { ctx.background('republish', async () => { await republishRecords(ctx) }) }, every)
        timer.unref?.()
      }
    },
    async stop () {
      controller.abort(new Error('the marketplace is stopping'))
      if (timer != null) clearInterval(timer)
      timer = undefined
      await Promise.allSettled([...background])
      await unhandleMarketProtocols(ctx)
      if (ownRouting) await ctx.routing.stop()
    },
    publish: async (input, options) => await publish(ctx, input, options),
    search: (words, options = {}) => searchNetwork(ctx, words, options),
    searchRanked: async (words, options = {}) => await searchRanked(ctx, words, options),
    resolve: async (ref, options) => await resolveRef(ctx, ref, options),
    history: async (ref, options = {}) => await readHistory(ctx, ref, ctx.deadline(options, C.PULL_TIMEOUT)),
    pull: async (ref, options) => await pull(ctx, ref, options),
    entries: () => [...ctx.store.entries()],
    listPublisher: async (publisher, options) => await listPublisher(ctx, publisher, options),
    async readFile (file, publisher, user) {
      const matches = [...ctx.store.entries()].filter(e => (e.record.value.file === file || e.record.name === file) &&
        (publisher == null || e.record.publisher === publisher) && (user == null || e.record.value.user === user))
      matches.sort((a, b) => Number(b.own) - Number(a.own) || b.record.time - a.record.time)
      const entry = matches[0]
      if (entry == null) throw new ProtocolNotFoundError(`file "${file}"`)
      const version = await readVersion(ctx.store, entry.record.value.version)
      const content = await ctx.store.getObject(version.content)
      if (content == null) throw new ProtocolNotFoundError(`content of "${file}"`)
      return { entry, content }
    },
    republish: async (options = {}) => { await republishRecords(ctx, { ...options, announce: true }) }
  }
}
