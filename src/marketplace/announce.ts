/**
 * Making publications findable: the signed record put in the DHT, its keywords and its
 * history's CIDs provided through the node's routing service (which keeps keys that reached no
 * peer and announces them once the DHT has peers; kad-dht re-provides the rest before expiry).
 */
import { CID } from 'multiformats/cid'
import { putRecord } from '../net/records.js'
import { pause } from '../time.js'
import * as C from './constants.js'
import { recordKeys } from './keys.js'
import { decodeVersionBlock } from './objects.js'
import type { MarketContext } from './context.js'
import type { ProtocolRecord } from './record.js'
import type { MarketStore } from './store.js'
import type { AbortOptions } from '@libp2p/interface'

/** The CIDs of a history (each version and its content), newest first. */
export async function historyCids (store: MarketStore, head: string): Promise<CID[]> {
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

export interface AnnounceRecordOptions extends AbortOptions {
  /** Also await the head version and its content (a puller serves them; a publisher serves them itself). */
  headFirst?: boolean
}

/**
 * Provides a record's keywords and the given CIDs. The name's keyword (and with `headFirst`
 * the head version with its content) is announced and awaited until enough peers hold it for
 * searches to find it; the other keywords, the prefix keys and the head version with its content
 * are sent at once to the closest peers known and awaited as well (one round trip: a search or a
 * pull by CID right after the publish finds them), their DHT lookups following in the background
 * with the rest of the history (HISTORY_ANNOUNCE_DELAY later), cancelled when the marketplace stops.
 */
export async function announceRecord (ctx: MarketContext, record: ProtocolRecord, cids: CID[], options: AnnounceRecordOptions = {}): Promise<void> {
  const { name, words, prefixes } = recordKeys(record)
  const head = CID.parse(record.value.version)
  const headIndex = cids.findIndex(c => c.equals(head))
  const headCids = headIndex < 0 ? [] : cids.slice(headIndex, headIndex + 2)
  const first = [...(name == null ? [] : [name]), ...(options.headFirst !== true ? [] : headCids)]
  const enough = ctx.init.announceEnough ?? C.ANNOUNCE_ENOUGH
  const without = (keys: CID[], taken: CID[]): CID[] => keys.filter(c => !taken.some(f => f.equals(c)))
  const findable = without([...words, ...prefixes, ...headCids], first)
  const history = without(cids, [...first, ...findable])
  if (history.length > 0) {
    ctx.background(`announce the history of ${record.name}`, async () => {
      const stop = ctx.stopping()
      await pause(C.HISTORY_ANNOUNCE_DELAY, stop)
      if (!stop.aborted) ctx.routing.announceLater(history, { signal: stop })
    })
  }
  await Promise.all([
    ctx.routing.announce(first, { signal: options.signal, urgent: true, enough }),
    ctx.routing.announce(findable, { signal: options.signal, urgent: true, enough, lookupLater: true })
  ])
}

/**
 * Puts a record, returning once enough peers stored it (the put goes on in the background to
 * the other closest peers); when no peer stored it (a busy or partitioned network), tries once more,
 * then leaves it to a background retry and the next republish (the node itself holds the
 * record and answers searches for it meanwhile).
 */
export async function putOrRetryLater (ctx: MarketContext, record: ProtocolRecord, signal: AbortSignal, caller?: AbortSignal): Promise<{ stored: number }> {
  for (let attempt = 0; attempt < 2 && !signal.aborted; attempt++) {
    try {
      return await putRecord(ctx.host, ctx.records, record, { signal, enough: ctx.init.announceEnough ?? C.ANNOUNCE_ENOUGH, background: ctx.stopping() })
    } catch (err: any) {
      if (err?.name !== 'RecordNotStoredError' || caller?.aborted === true || ctx.stopping().aborted) throw err
      ctx.log('put of %s failed (attempt %d): %s', record.name, attempt + 1, err.message)
    }
  }
  ctx.background(`retried put of ${record.name}`, async () => {
    const stop = ctx.stopping()
    await pause(C.PUT_RETRY_DELAY, stop)
    if (!stop.aborted) await putRecord(ctx.host, ctx.records, record, { signal: stop })
  })
  return { stored: 0 }
}

/** Puts every held record again (kad-dht drops stored records 48 h after receiving them). */
export async function republishRecords (ctx: MarketContext, options: AbortOptions & { announce?: boolean } = {}): Promise<void> {
  for (const entry of [...ctx.store.entries()]) {
    if (ctx.stopping().aborted) return
    const signal = ctx.deadline(options, ctx.init.provideTimeout ?? C.PROVIDE_TIMEOUT)
    await putRecord(ctx.host, ctx.records, entry.record, { signal }).catch(err => { ctx.log('re-put %s failed: %s', entry.record.name, err?.message) })
    if (options.announce === true) await announceRecord(ctx, entry.record, await historyCids(ctx.store, entry.record.value.version), { signal })
  }
}

/**
 * After a start: once the DHT has peers (waiting at most START_REPUBLISH_WAIT), puts the held
 * records again, in the background. Their keys need nothing: kad-dht re-provides them from its
 * datastore and the routing service announces those that never reached a peer.
 */
export function republishAfterStart (ctx: MarketContext): void {
  ctx.background('republish after start', async () => {
    const signal = ctx.stopping()
    await ctx.routing.waitForPeers({ signal, timeout: C.START_REPUBLISH_WAIT })
    if (!signal.aborted && [...ctx.store.entries()].length > 0) await republishRecords(ctx)
  })
}
