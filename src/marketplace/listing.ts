/** The marketplace's stream protocols: answering searches, listings and fetches; asking for a listing. */
import { peerIdFromString } from '@libp2p/peer-id'
import { NotFoundError } from '../errors.js'
import { handleRequests, request } from '../net/rpc.js'
import * as C from './constants.js'
import { fitAnswer, searchAnswer } from './search.js'
import { checkAnswer, decodeFetchRequest, decodeSearchAnswer, decodeSearchRequest } from './wire.js'
import type { MarketContext } from './context.js'
import type { ProtocolRecord } from './record.js'
import type { AbortOptions } from '@libp2p/interface'

/** Answers searches (and publishers' listings) and fetches by CID from what this node holds. */
export async function handleMarketProtocols (ctx: MarketContext): Promise<void> {
  const { host, store } = ctx
  await handleRequests(host, C.SEARCH_PROTOCOL, decodeSearchRequest,
    async req => req.all === true
      ? fitAnswer([...store.entries()].filter(e => e.own).sort((a, b) => b.record.time - a.record.time).slice(0, req.limit))
      : searchAnswer(store.entries(), req.keywords, req.limit), { maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
  await handleRequests(host, C.FETCH_PROTOCOL, decodeFetchRequest, async req => {
    const bytes = await store.getObject(req.cid)
    if (bytes == null) throw new NotFoundError(`no object ${req.cid}`)
    return { data: Buffer.from(bytes).toString('base64') }
  }, { maxMessageBytes: C.MAX_FETCH_MESSAGE_BYTES })
}

export async function unhandleMarketProtocols (ctx: MarketContext): Promise<void> {
  await ctx.host.unhandle(C.SEARCH_PROTOCOL).catch(() => {})
  await ctx.host.unhandle(C.FETCH_PROTOCOL).catch(() => {})
}

/** What a publisher publishes (asked directly; at most 50, newest first), each record verified. */
export async function listPublisher (ctx: MarketContext, publisher: string, options: AbortOptions = {}): Promise<ProtocolRecord[]> {
  const peer = peerIdFromString(publisher)
  if (peer.equals(ctx.host.peerId)) return [...ctx.store.entries()].filter(e => e.own).map(e => e.record)
  const signal = ctx.deadline(options, C.FETCH_TIMEOUT)
  const answer = await request(ctx.host, peer, C.SEARCH_PROTOCOL, { all: true, limit: C.MAX_SEARCH_ANSWERS }, decodeSearchAnswer,
    { signal, maxMessageBytes: C.MAX_SEARCH_MESSAGE_BYTES })
  return await checkAnswer(ctx.records, answer, publisher, ctx.log, publisher)
}
