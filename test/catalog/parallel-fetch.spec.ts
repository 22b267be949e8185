import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { FETCH_PROTOCOL } from '../../src/catalog/index.js'
import { FETCH_RUN_BLOCKS, FETCH_WINDOW_BLOCKS } from '../../src/catalog/constants.js'
import { handleRequests } from '../../src/net/rpc.js'
import { bytesOf, collect, startCatalogNodes, stopCatalogNodes, writeTree } from './helpers.js'
import { tempDir } from '../fixtures/temp.js'
import { until } from '../fixtures/wait.js'
import type { CatalogNode } from './helpers.js'
import type { FetchRequest } from '../../src/catalog/wire.js'
import type { HandlerContext } from '../../src/net/rpc.js'

const MiB = 1024 * 1024
const BLOCK = MiB

/**
 * Holders 0, 1 and 2 hold the same datasets; node 3 fetches them. A holder's fetch handler is
 * replaced by one serving from its blob store like the real one, with a hook to watch the
 * requests, forge bytes or stall. The fetches name their holders (`from`): what is tested is the
 * transfer, not the search.
 */
describe('catalog: a fetch from several holders', function () {
  this.timeout(120_000)
  let nodes: CatalogNode[] = []
  let work: string
  const id = (i: number): string => nodes[i].host.peerId.toString()

  before(async () => {
    nodes = await startCatalogNodes(4)
    work = await tempDir('paip-parallel-src-')
  })

  after(async () => {
    await stopCatalogNodes(nodes)
    if (work != null) await fs.rm(work, { recursive: true, force: true })
  })

  /** A dataset held by holders 0-2: its files' bytes. */
  const share = async (name: string, files: Record<string, Uint8Array>): Promise<void> => {
    const dir = await writeTree(path.join(work, name), files)
    for (const i of [0, 1, 2]) await nodes[i].catalog.add('dataset', { path: dir }, { name, tags: [`#${name}`], public: true })
  }

  type Hook = (req: FetchRequest, chunk: Uint8Array, ctx: HandlerContext) => Promise<Uint8Array> | Uint8Array
  /**
   * Replaces holder `i`'s fetch handler by one serving its blobs through `hook` (each request
   * seen by `seen`, and `ending` awaited once the bytes are sent, before the handler ends).
   */
  const serveWith = async (i: number, hook: Hook, seen?: (req: FetchRequest) => Promise<void> | void, ending?: (ctx: HandlerContext) => Promise<void>): Promise<void> => {
    const node = nodes[i]
    await node.host.unhandle(FETCH_PROTOCOL)
    await handleRequests(node.host, FETCH_PROTOCOL, v => v as FetchRequest, async (req, ctx) => {
      await seen?.(req)
      const { size } = await node.blobs.stat(req.cid)
      const length = req.length ?? size - req.offset
      await ctx.messages.write({ size, offset: req.offset, ...(req.length === undefined ? {} : { length }) }, { signal: ctx.signal })
      for await (const chunk of node.blobs.get(req.cid, { offset: req.offset, length, chunkSize: 256 * 1024 })) {
        await ctx.messages.writeBytes(await hook(req, chunk, ctx), { signal: ctx.signal })
      }
      await ending?.(ctx)
      return undefined
    }, { timeout: 120_000 })
  }
  /** The fetch streams node 3 has open to holder `i`. */
  const fetchStreams = (i: number): number => nodes[3].host.getConnections(nodes[i].host.peerId)
    .flatMap(c => c.streams).filter(s => s.protocol === FETCH_PROTOCOL).length
  const restore = async (i: number): Promise<void> => {
    await nodes[i].host.unhandle(FETCH_PROTOCOL)
    await nodes[i].catalog.stop()
    await nodes[i].catalog.start()
  }

  /** Fetches `name` on node 3: the bytes each holder served (from the progress) and the copy's files. */
  const fetch = async (name: string, from = [0, 1, 2], signal?: AbortSignal): Promise<{ perPeer: Map<string, number>, files: Map<string, Buffer> }> => {
    const perPeer = new Map<string, number>()
    let last = 0
    const entry = await nodes[3].catalog.fetch('dataset', name, {
      from: from.map(id),
      signal,
      onProgress: p => {
        if (p.phase !== 'file' || p.peer == null) return
        perPeer.set(p.peer, (perPeer.get(p.peer) ?? 0) + (p.bytes - last))
        last = p.bytes
      }
    })
    const copy = await nodes[3].catalog.resolve('dataset', entry.manifest)
    const files = new Map<string, Buffer>()
    for (const file of copy.files) files.set(file.path, await collect(nodes[3].blobs.get(file.cid)))
    return { perPeer, files }
  }

  it('shares the blocks of one file among three holders, each serving some, every block verified', async () => {
    const big = bytesOf(20 * MiB + 5, 11)
    await share('shared', { 'big.bin': big })
    const { perPeer, files } = await fetch('shared')
    assert.deepEqual([...perPeer.keys()].sort(), [id(0), id(1), id(2)].sort(), 'every holder served blocks')
    for (const bytes of perPeer.values()) assert.ok(bytes > 0)
    assert.equal([...perPeer.values()].reduce((a, b) => a + b, 0), big.byteLength, 'no block counted twice')
    assert.deepEqual(files.get('big.bin'), Buffer.from(big))
  })

  it('never asks for blocks more than the window past what is written to disk (memory stays flat)', async () => {
    const big = bytesOf(24 * MiB, 12)
    await share('window', { 'big.bin': big })
    const partialDir = path.join(nodes[3].dir, 'blobs', 'partial')
    const ahead: number[] = []
    const watch = async (req: FetchRequest): Promise<void> => {
      if (req.length === undefined) return
      const held = await fs.stat(path.join(partialDir, req.cid)).then(s => s.size, () => big.byteLength)
      ahead.push((req.offset + req.length - held) / BLOCK)
    }
    for (const i of [0, 1, 2]) await serveWith(i, (_req, chunk) => chunk, watch)
    try {
      const { files } = await fetch('window')
      assert.deepEqual(files.get('big.bin'), Buffer.from(big))
      assert.ok(ahead.length >= 24 / FETCH_RUN_BLOCKS, `blocks asked for in runs (${ahead.length} requests)`)
      assert.ok(Math.max(...ahead) <= FETCH_WINDOW_BLOCKS, `asked at most ${FETCH_WINDOW_BLOCKS} blocks ahead of the disk, not ${Math.max(...ahead)}`)
    } finally {
      for (const i of [0, 1, 2]) await restore(i)
    }
  })

  it('completes with verified bytes when a holder forges blocks, and does not ask that holder again', async () => {
    const files = { 'a.bin': bytesOf(6 * MiB, 13), 'b.bin': bytesOf(6 * MiB, 14) }
    await share('forged', files)
    let asked = 0
    await serveWith(1, (req, chunk) => {
      if (req.length === undefined) return chunk
      const forged = Uint8Array.from(chunk)
      forged[0] ^= 0xff
      return forged
    }, req => { if (req.length !== undefined) asked++ })
    try {
      const { perPeer, files: copy } = await fetch('forged')
      assert.equal(perPeer.has(id(1)), false, 'no byte from the forger was kept')
      assert.ok(asked >= 1 && asked <= 2, `the forger was asked only by the requests in flight when its first block failed (${asked})`)
      assert.deepEqual(copy.get('a.bin'), Buffer.from(files['a.bin']))
      assert.deepEqual(copy.get('b.bin'), Buffer.from(files['b.bin']))
    } finally {
      await restore(1)
    }
  })

  it('asks the other holders for the blocks of a holder that trickles, without waiting for it', async () => {
    const big = bytesOf(8 * MiB, 15)
    await share('slow', { 'big.bin': big })
    // one correct byte every 200 ms: never idle long enough to be timed out, far too slow to wait for
    await serveWith(0, async (req, chunk, ctx) => {
      if (req.length === undefined) return chunk
      for (let i = 0; i < chunk.byteLength - 1; i++) {
        await ctx.messages.writeBytes(chunk.subarray(i, i + 1), { signal: ctx.signal })
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      return chunk.subarray(chunk.byteLength - 1)
    })
    try {
      const { perPeer, files } = await fetch('slow')
      assert.equal(perPeer.has(id(0)), false)
      assert.deepEqual(files.get('big.bin'), Buffer.from(big))
    } finally {
      await restore(0)
    }
  })

  it('completes from the others when a holder stops midway', async () => {
    // the stop comes at 1/8 written; then at most FETCH_WINDOW_BLOCKS more are in flight (some
    // from the stopped holder), so more than half the file must come from the two left
    const big = bytesOf(64 * MiB, 16)
    assert.ok((big.byteLength / 8 + FETCH_WINDOW_BLOCKS * BLOCK) * 2 < big.byteLength)
    await share('dies', { 'big.bin': big })
    const perPeer = new Map<string, number>()
    let last = 0
    let stopped = false
    const entry = await nodes[3].catalog.fetch('dataset', 'dies', {
      from: [id(0), id(1), id(2)],
      onProgress: p => {
        if (p.phase !== 'file' || p.peer == null) return
        perPeer.set(p.peer, (perPeer.get(p.peer) ?? 0) + (p.bytes - last))
        last = p.bytes
        if (!stopped && p.bytes > big.byteLength / 8) {
          stopped = true
          void nodes[2].host.stop()
        }
      }
    })
    assert.ok(stopped)
    const copy = await nodes[3].catalog.resolve('dataset', entry.manifest)
    assert.deepEqual(await collect(nodes[3].blobs.get(copy.files[0].cid)), Buffer.from(big))
    assert.ok((perPeer.get(id(0)) ?? 0) + (perPeer.get(id(1)) ?? 0) > big.byteLength / 2, 'the rest came from the holders left')
  })

  it('leaves no fetch stream open when a holder never ends its stream after the bytes asked for', async () => {
    const big = bytesOf(12 * MiB, 17)
    await share('endless', { 'big.bin': big })
    // holder 0 sends its run, then keeps the stream open (as long as the fetcher does)
    await serveWith(0, (_req, chunk) => chunk, undefined, async ctx => {
      await new Promise(resolve => { ctx.messages.stream.addEventListener('close', resolve, { once: true }) })
    })
    try {
      const { files } = await fetch('endless')
      assert.deepEqual(files.get('big.bin'), Buffer.from(big))
      await until(() => fetchStreams(0) === 0, 5000, () => `no fetch stream left open to the holder (${fetchStreams(0)} open)`)
    } finally {
      await restore(0)
    }
  })

  it('gives up on a lone holder that drips bytes slower than a block per idle timeout', async () => {
    const big = bytesOf(2 * MiB, 18)
    await share('drip', { 'big.bin': big })
    const cid = (await nodes[0].catalog.resolve('dataset', 'drip')).files[0].cid
    // a 1-byte frame every 100 ms: never silent for the idle timeout, a block would take 29 h
    await serveWith(0, async (req, chunk, ctx) => {
      if (req.cid !== cid) return chunk
      for (let i = 0; i < chunk.byteLength - 1; i++) {
        await ctx.messages.writeBytes(chunk.subarray(i, i + 1), { signal: ctx.signal })
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      return chunk.subarray(chunk.byteLength - 1)
    })
    try {
      await assert.rejects(fetch('drip', [0], AbortSignal.timeout(60_000)), (err: any) => err?.name === 'FetchFailedError')
      await until(() => fetchStreams(0) === 0, 5000, 'the dripping stream closed')
    } finally {
      await restore(0)
    }
  })

  it('resumes from the verified blocks a crash left on disk, dropping a torn or garbled rest', async () => {
    const files = { 'big.bin': bytesOf(6 * MiB + 7, 19), 'small.bin': bytesOf(300 * 1024, 20) }
    await share('torn', files)
    const held = await nodes[0].catalog.resolve('dataset', 'torn')
    const cidOf = (name: string): string => held.files.find(f => f.path === name)?.cid as string
    const partialDir = path.join(nodes[3].dir, 'blobs', 'partial')
    await fs.mkdir(partialDir, { recursive: true })
    // the big file: blocks 0-1 verified, then a torn half of block 2 (a crash, a full disk)
    const big = files['big.bin']
    await fs.writeFile(path.join(partialDir, cidOf('big.bin')), big.subarray(0, 2 * BLOCK + BLOCK / 2))
    // the small one (one block): a piece of garbage (a power cut before the data reached the disk)
    await fs.writeFile(path.join(partialDir, cidOf('small.bin')), new Uint8Array(100 * 1024))
    const offsets: number[] = []
    for (const i of [0, 1, 2]) await serveWith(i, (_req, chunk) => chunk, req => { if (req.cid === cidOf('big.bin')) offsets.push(req.offset) })
    try {
      const { files: copy } = await fetch('torn')
      assert.deepEqual(copy.get('big.bin'), Buffer.from(big))
      assert.deepEqual(copy.get('small.bin'), Buffer.from(files['small.bin']))
      assert.ok(offsets.length > 0 && Math.min(...offsets) === 2 * BLOCK, `the verified blocks were not asked for again (first offset ${Math.min(...offsets)})`)
    } finally {
      for (const i of [0, 1, 2]) await restore(i)
    }
  })

  it('stops at once when cancelled, with no stream left open and only verified bytes kept, and a later fetch resumes', async () => {
    const big = bytesOf(16 * MiB, 21)
    await share('cancel', { 'big.bin': big })
    const cid = (await nodes[0].catalog.resolve('dataset', 'cancel')).files[0].cid
    const offsets: number[] = []
    const slow: Hook = async (_req, chunk) => { await new Promise(resolve => setTimeout(resolve, 20)); return chunk }
    for (const i of [0, 1, 2]) await serveWith(i, slow, req => { offsets.push(req.offset) })
    try {
      const controller = new AbortController()
      let cancelledAt = 0
      const fetching = nodes[3].catalog.fetch('dataset', 'cancel', {
        from: [id(0), id(1), id(2)],
        signal: controller.signal,
        onProgress: p => {
          if (cancelledAt === 0 && p.phase === 'file' && p.bytes >= 4 * MiB) { cancelledAt = Date.now(); controller.abort() }
        }
      })
      await assert.rejects(fetching, (err: any) => err?.name === 'AbortError')
      assert.ok(Date.now() - cancelledAt < 2000, `rejected ${Date.now() - cancelledAt} ms after the abort`)
      await until(() => [0, 1, 2].every(i => fetchStreams(i) === 0), 5000, 'every fetch stream closed')
      const kept = await fs.readFile(path.join(nodes[3].dir, 'blobs', 'partial', cid))
      assert.ok(kept.byteLength >= 4 * MiB && kept.byteLength % BLOCK === 0, `whole blocks kept (${kept.byteLength} bytes)`)
      assert.deepEqual(kept, Buffer.from(big.subarray(0, kept.byteLength)))
      offsets.length = 0
      const { files } = await fetch('cancel')
      assert.deepEqual(files.get('big.bin'), Buffer.from(big))
      assert.ok(Math.min(...offsets) >= kept.byteLength, 'the later fetch resumed after the kept blocks')
    } finally {
      for (const i of [0, 1, 2]) await restore(i)
    }
  })

  it('lets a fetch waiting for the same entry\'s fetch in progress be cancelled', async () => {
    const big = bytesOf(8 * MiB, 22)
    await share('twice', { 'big.bin': big })
    const slow: Hook = async (_req, chunk) => { await new Promise(resolve => setTimeout(resolve, 100)); return chunk }
    for (const i of [0, 1, 2]) await serveWith(i, slow)
    try {
      const first = fetch('twice')
      let started = false
      const controller = new AbortController()
      const second = nodes[3].catalog.fetch('dataset', 'twice', { from: [id(0), id(1), id(2)], signal: controller.signal })
      void second.catch(() => {})
      await until(async () => { started = (await fs.readdir(path.join(nodes[3].dir, 'blobs', 'partial')).catch(() => [])).length > 0; return started }, 30_000, 'the first fetch started')
      const abortedAt = Date.now()
      controller.abort()
      await assert.rejects(second, (err: any) => err?.name === 'AbortError')
      assert.ok(Date.now() - abortedAt < 2000, `the waiting fetch rejected ${Date.now() - abortedAt} ms after its abort`)
      const { files } = await first
      assert.deepEqual(files.get('big.bin'), Buffer.from(big))
    } finally {
      for (const i of [0, 1, 2]) await restore(i)
    }
  })
})
