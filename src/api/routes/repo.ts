import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError } from '../../errors.js'
import { ADMIN_PUBLISHER, checkFilePath } from '../../marketplace/index.js'
import { isAdmin } from '../../users/roles.js'
import { validateProtocol } from '../../protocol/index.js'
import { requireToken } from '../auth.js'
import { BodyTooLargeError } from '../errors.js'
import { acceptsNdjson, ndjsonStream, NDJSON_TYPE } from '../../ndjson.js'
import { errorResponse } from '../replies.js'
import { requestSignal } from '../signal.js'
import { second } from '../../time.js'
import type { Readable } from 'node:stream'
import type { HistoryResult, Marketplace, PublishResult, PullResult, SearchHit, VersionBundle } from '../../marketplace/index.js'
import type { ApiRoute } from '../route.js'
import type { FastifyReply } from 'fastify'

/** Largest protocol file pushed raw, and largest JSON push (a whole history, base64). */
const MAX_PROTOCOL_BYTES = 1024 * 1024
const MAX_PUSH_BYTES = 16 * 1024 * 1024
const SEARCH_TIMEOUT = 3 * second
const PULL_TIMEOUT = 60 * second

/** What the marketplace routes call: the node's marketplace, or `paip serve`'s read-only view of a repository. */
export type RouteMarketplace = Pick<Marketplace, 'publish' | 'pull' | 'readFile' | 'search' | 'searchRanked' | 'history' | 'listPublisher' | 'entries'>

/** What the marketplace routes use. */
export interface RepoRouteComponents {
  marketplace: RouteMarketplace
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

/** A search hit as the API answers it (the signed record left out). */
export function hitJson (hit: SearchHit): Omit<SearchHit, 'record'> & { nodes: number } {
  const { record, ...rest } = hit
  void record
  return { ...rest, nodes: hit.holders.length }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const unb64 = (text: unknown): Uint8Array => {
  if (typeof text !== 'string') throw new InvalidArgumentError('a block\'s bytes must be base64')
  return new Uint8Array(Buffer.from(text, 'base64'))
}

/** A pull as the API answers it: the blocks a local repository imports (base64). */
export function pullJson (result: PullResult): unknown {
  const contents = new Map<string, string>()
  for (const v of result.versions) contents.set(v.content, b64(v.contentBytes))
  return {
    publisher: result.publisher,
    name: result.name,
    file: result.file,
    selected: result.selected.cid,
    head: result.versions[0].cid,
    versions: result.versions.map(v => ({ cid: v.cid, seq: v.seq, path: v.path, message: v.message, author: v.author, time: v.time, content: v.content })),
    records: result.versions.map(v => ({ cid: v.cid, bytes: b64(v.bytes) })),
    contents: [...contents].map(([cid, bytes]) => ({ cid, bytes }))
  }
}

/** A history as the portal shows it: every version's text, the newest one's description. */
export function historyJson (result: HistoryResult): unknown {
  const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
  const newest = result.versions[0]
  const doc: any = validateProtocol(newest.contentBytes).protocol
  return {
    publisher: result.publisher,
    name: result.name,
    file: result.file,
    user: result.record?.value.user,
    time: result.record?.time ?? newest.time,
    keywords: result.record?.value.keywords ?? [],
    description: typeof doc?.description === 'string' ? doc.description : (result.record?.value.description ?? ''),
    holders: result.holders,
    versions: result.versions.map(v => ({ cid: v.cid, seq: v.seq, message: v.message, author: v.author, time: v.time, content: text(v.contentBytes) }))
  }
}

function decodeBundle (value: any): VersionBundle {
  if (value == null || typeof value !== 'object' || typeof value.head !== 'string' || !Array.isArray(value.records) || !Array.isArray(value.contents)) {
    throw new InvalidArgumentError('bundle must be { head, records: [{cid, bytes}], contents: [{cid, bytes}] }')
  }
  const blocks = (list: any[]): Array<{ cid: string, bytes: Uint8Array }> => list.map(b => ({ cid: String(b?.cid), bytes: unb64(b?.bytes) }))
  return { head: value.head, records: blocks(value.records), contents: blocks(value.contents) }
}

async function readCapped (stream: Readable, max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  // not destroyed when over the cap: the server reads and drops the rest, so the client gets the 413
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    size += chunk.length
    if (size > max) throw new BodyTooLargeError(`a protocol file is at most ${max} bytes`)
    chunks.push(chunk)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

function splitKeywords (text: string): string[] {
  return text.split(/[\s,+]+/).filter(k => k !== '').slice(0, 16)
}

/**
 * Seed 000's marketplace routes on this node:
 * - `PUT /repo/protocol/<path>`: publish (token needed). Body: the YAML itself (any content
 *   type but JSON), or JSON `{ bundle: { head, records, contents }, name?, keywords? }` (a
 *   repository's history of the file, blocks in base64). 400 with `details.problems` when invalid.
 * - `GET /repo/protocol/<path or name>[?publisher=]`: the latest content held here (YAML).
 * - `GET /repo/search/:keywords[?timeout=ms]`: network search, ranked; with
 *   `Accept: application/x-ndjson` each hit is a line as it arrives, then `{"done":true}`.
 * - `GET /api/v1/marketplace/pull?ref=<publisher/name|name|CID>[&version=]`: the node pulls
 *   (and then provides) it and answers with its history's blocks.
 * - `GET /api/v1/marketplace/entries`: what this node publishes or holds.
 */
export const repoRoutes: ApiRoute<RepoRouteComponents> = (app, { components, access }) => {
  for (const type of ['text/yaml', 'application/yaml', 'application/x-yaml', 'text/x-yaml', 'text/plain']) {
    app.removeContentTypeParser(type)
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_PROTOCOL_BYTES }, (_request, body, done) => { done(null, body) })
  }

  app.put('/repo/protocol/*', { onRequest: access.requireRole('publish', 'publish protocols on this node'), bodyLimit: MAX_PUSH_BYTES }, async (request, reply): Promise<PublishResult> => {
    // the router decoded the path once already: decoding again would turn `a%25` into `a%`, then fail
    const file = checkFilePath((request.params as any)['*'] ?? '')
    // the admin token publishes as `admin` (bare names); a user as itself (`<user>/<name>`)
    const user = request.principal?.kind === 'admin' ? ADMIN_PUBLISHER : request.principal?.name ?? 'anonymous'
    const admin = isAdmin(request.principal)
    const signal = requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: 30 * second })
    const body: any = request.body
    let result: PublishResult
    if (body != null && typeof body === 'object' && !(body instanceof Buffer) && typeof body.pipe !== 'function') {
      const bundle = decodeBundle(body.bundle)
      const keywords = Array.isArray(body.keywords) ? body.keywords.map(String).slice(0, 32) : undefined
      if (body.name != null && typeof body.name !== 'string') throw new InvalidArgumentError('name must be a string')
      result = await components.marketplace.publish({ user, admin, bundle, name: body.name, keywords }, { signal })
      if (result.file !== file) throw new InvalidArgumentError(`the pushed history is of ${result.file}, not ${file}`)
    } else {
      if (body instanceof Buffer && body.byteLength > MAX_PROTOCOL_BYTES) throw new BodyTooLargeError(`a protocol file is at most ${MAX_PROTOCOL_BYTES} bytes`)
      const content = body instanceof Buffer ? new Uint8Array(body) : body == null ? new Uint8Array() : await readCapped(body as Readable, MAX_PROTOCOL_BYTES)
      result = await components.marketplace.publish({ user, admin, file, content }, { signal })
    }
    void reply.status(result.changed ? 201 : 200)
    return result
  })

  app.get('/repo/protocol/*', { onRequest: access.readAccess }, async (request, reply) => {
    const ref: string = (request.params as any)['*'] ?? ''
    if (ref.includes('..') || ref.includes('\\') || ref.startsWith('/')) checkFilePath(ref)
    const { publisher, user } = request.query as { publisher?: string, user?: string }
    const market = components.marketplace
    let found: Awaited<ReturnType<typeof market.readFile>>
    try {
      found = await market.readFile(ref, publisher, user)
    } catch (err: any) {
      if (err?.name !== 'ProtocolNotFoundError' || user != null) throw err
      // not held here: resolve it through the network, as `paip pull` does (the node then holds it)
      let pulled: Awaited<ReturnType<typeof pullByRef>>
      try {
        pulled = await pullByRef(market, ref, publisher, requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: PULL_TIMEOUT }))
      } catch (pullErr: any) {
        // a path that cannot name a published protocol: it is simply not here
        if (pullErr?.kind === 'invalid-input') throw err
        throw pullErr
      }
      void reply.header('x-paip-publisher', pulled.record?.publisher ?? pulled.publisher ?? '').header('x-paip-version', pulled.selected.cid)
      if (pulled.record != null) void reply.header('x-paip-user', pulled.record.value.user)
      return reply.type('text/yaml; charset=utf-8').send(Buffer.from(pulled.selected.contentBytes))
    }
    const { entry, content } = found
    void reply.header('x-paip-publisher', entry.record.publisher).header('x-paip-user', entry.record.value.user).header('x-paip-version', entry.record.value.version)
    return reply.type('text/yaml; charset=utf-8').send(Buffer.from(content))
  })

  app.get('/repo/search/:keywords', { onRequest: access.readAccess }, async (request, reply) => {
    const words = splitKeywords((request.params as { keywords: string }).keywords)
    if (words.length === 0) throw new InvalidArgumentError('give at least one keyword')
    const query = request.query as { timeout?: string, limit?: string }
    const timeout = query.timeout == null ? SEARCH_TIMEOUT : Math.min(Math.max(Number(query.timeout) || SEARCH_TIMEOUT, 1), 60 * second)
    const limit = query.limit == null ? undefined : Math.max(1, Number(query.limit) || 1)
    const signal = requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: timeout + second })
    const market = components.marketplace
    if (!acceptsNdjson(request.headers.accept)) {
      const hits = await market.searchRanked(words, { signal, timeout, limit })
      return { keywords: words, results: hits.map(hitJson) }
    }
    return streamSearch(reply, market, words, signal, timeout)
  })

  app.get('/api/v1/marketplace/pull', { onRequest: requireToken(access, 'pulling (the node fetches, stores and provides it)') }, async (request, reply) => {
    const { ref, version } = request.query as { ref?: string, version?: string }
    if (typeof ref !== 'string' || ref === '') throw new InvalidArgumentError('give ?ref=<publisher/name | name | CID>')
    const signal = requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: PULL_TIMEOUT })
    return pullJson(await components.marketplace.pull(ref, { signal, version }))
  })

  app.get('/api/v1/marketplace/history', { onRequest: access.readAccess }, async (request, reply) => {
    const { ref } = request.query as { ref?: string }
    if (typeof ref !== 'string' || ref === '') throw new InvalidArgumentError('give ?ref=<publisher/name | name | CID>')
    const signal = requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: PULL_TIMEOUT })
    return historyJson(await components.marketplace.history(ref, { signal }))
  })

  app.get('/api/v1/marketplace/publishers/:peer', { onRequest: requireToken(access, 'asking a publisher (the node dials the peer named)') }, async (request, reply) => {
    const { peer } = request.params as { peer: string }
    const signal = requestSignal(request, reply, { shutdown: components.shutdownSignal, timeout: 15 * second })
    try { peerIdFromString(peer) } catch { throw new InvalidArgumentError(`not a peer ID: ${peer.slice(0, 100)}`) }
    const list = await components.marketplace.listPublisher(peer, { signal })
    return { publisher: peer, entries: list.map(r => ({ publisher: r.publisher, name: r.name, seq: r.seq, time: r.time, ...r.value })) }
  })

  app.get('/api/v1/marketplace/entries', { onRequest: access.readAccess }, async () => ({
    entries: components.marketplace.entries().map(e => ({
      publisher: e.record.publisher, name: e.record.name, own: e.own, seq: e.record.seq, time: e.record.time, ...e.record.value
    }))
  }))
}

/**
 * Pulls a protocol named by a `/repo/protocol/<ref>` path: `ref` as a name (or CID), with the
 * publisher when given; a file name (`mnist.yaml`) also as its stem (`mnist`).
 */
async function pullByRef (market: RouteMarketplace, ref: string, publisher: string | undefined, signal: AbortSignal): Promise<Awaited<ReturnType<Marketplace['pull']>>> {
  const stem = ref.replace(/\.ya?ml$/i, '')
  const names = stem !== ref && !ref.includes('/') ? [stem, ref] : [ref]
  let last: unknown
  for (const name of names) {
    try {
      return await market.pull(publisher == null ? name : `${publisher}/${name}`, { signal })
    } catch (err: any) {
      last = err
      if (err?.name !== 'ProtocolNotFoundError' && err?.kind !== 'invalid-input') throw err
    }
  }
  throw last
}

function streamSearch (reply: FastifyReply, market: RouteMarketplace, words: string[], signal: AbortSignal, timeout: number): FastifyReply {
  return reply.type(NDJSON_TYPE).send(ndjsonStream(async line => {
    for await (const hit of market.search(words, { signal, timeout })) line({ hit: hitJson(hit) })
    line({ done: true })
  }, err => errorResponse(err).body))
}
