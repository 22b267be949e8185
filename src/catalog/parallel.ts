/**
 * One blob from several holders at once: blocks are handed out in runs to whichever holder is
 * free (work stealing), each block is checked against its digest, and verified blocks are
 * appended to the partial file in order, so the partial file keeps only a verified prefix (a
 * crash or a later attempt resumes from it, as with one holder). At most FETCH_WINDOW_BLOCKS
 * blocks past the last one written are asked for: the memory a fetch holds stays bounded.
 */
import { FETCH_RUN_BLOCKS, FETCH_STEAL_AFTER, FETCH_STREAMS_PER_HOLDER, FETCH_WINDOW_BLOCKS } from './constants.js'
import { fetchBlocksFrom } from './wire.js'
import type { BlobTarget } from './wire.js'
import type { PartialBlob } from '../storage/index.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'

export interface ParallelFetchOptions {
  signal?: AbortSignal
  idleTimeout?: number
  onBytes?: (n: number, peer: string) => void
}

/** The failure of each holder dropped, by peer: what the caller's error is made of. */
export type HolderFailures = Map<string, Error>

/** The block bookkeeping of one parallel fetch: what is written, ready, asked of whom. */
interface Blocks {
  count: number
  /** Blocks before this one are on disk. */
  written: number
  /** Lowest block never handed out. */
  next: number
  /** Handed-out blocks whose holders all failed: handed out again first. */
  returned: number[]
  /** Verified blocks waiting for the ones before them. */
  ready: Map<number, { bytes: Uint8Array, peer: string }>
  /** Holders asked for each block in flight. */
  asked: Map<number, Set<string>>
}

/**
 * The next run of blocks for a holder: returned ones, then new ones in the window, then (when
 * there are no new ones left, or nothing changed for FETCH_STEAL_AFTER) a steal.
 */
function take (b: Blocks, peer: string, stalled: boolean): number[] | undefined {
  const limit = Math.min(b.count, b.written + FETCH_WINDOW_BLOCKS)
  b.returned.sort((x, y) => x - y)
  while (b.returned.length > 0 && (b.returned[0] < b.written || b.ready.has(b.returned[0]))) b.returned.shift()
  if (b.returned.length > 0 && b.returned[0] < limit) return [b.returned.shift() as number]
  if (b.next < limit) {
    const run: number[] = []
    while (b.next < limit && run.length < FETCH_RUN_BLOCKS) run.push(b.next++)
    return run
  }
  if (!stalled && b.next < b.count) return undefined
  // nothing new: ask for the lowest block still in flight from one other holder only (a slow one)
  for (let i = b.written; i < limit; i++) {
    const holders = b.asked.get(i)
    if (holders != null && holders.size === 1 && !holders.has(peer) && !b.ready.has(i)) return [i]
  }
  return undefined
}

/** A run's blocks are no longer asked of `peer`: those asked of nobody else and still missing are handed out again. */
function settle (b: Blocks, run: number[], peer: string): void {
  for (const i of run) {
    const holders = b.asked.get(i)
    holders?.delete(peer)
    if (holders?.size === 0) {
      b.asked.delete(i)
      if (i >= b.written && !b.ready.has(i)) b.returned.push(i)
    }
  }
}

/** Block buffers written (or not needed) are used again: no garbage per block. */
function blockPool (blockSize: number): { allocate: (size: number) => Uint8Array, release: (bytes: Uint8Array) => void } {
  const pool: Uint8Array[] = []
  return {
    allocate: size => size === blockSize ? pool.pop() ?? new Uint8Array(size) : new Uint8Array(size),
    release: bytes => { if (bytes.byteLength === blockSize && pool.length < FETCH_WINDOW_BLOCKS) pool.push(bytes) }
  }
}

/** Waits for `changed`; answers true when nothing changed for FETCH_STEAL_AFTER (blocks in flight are slow to come). */
async function waitForChange (changed: Promise<void>, signal: AbortSignal): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort = (): void => {}
  try {
    return await Promise.race([
      changed.then(() => false),
      new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(true) }, FETCH_STEAL_AFTER) }),
      new Promise<boolean>(resolve => { onAbort = () => { resolve(false) }; signal.addEventListener('abort', onAbort, { once: true }) })
    ])
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Fetches the rest of `target` (from `partial.size`, on a block boundary) from `peers` in
 * parallel. Resolves when every block is written to `partial`; a holder that fails (a stream
 * that stops, a refusal, a block not matching its digest) is dropped, logged by its error's
 * name, and its blocks are asked of the others. Answers the failures of the dropped holders;
 * throws when none is left before the end (the failures then say why).
 */
export async function fetchParallel (host: Libp2p, peers: PeerId[], target: BlobTarget & { size: number }, partial: PartialBlob, log: Logger, options: ParallelFetchOptions = {}): Promise<{ complete: boolean, failures: HolderFailures }> {
  const blockSize = target.blockSize
  const count = Math.ceil(target.size / blockSize)
  const first = Math.floor(partial.size / blockSize)
  const b: Blocks = { count, written: first, next: first, returned: [], ready: new Map(), asked: new Map() }
  const failures: HolderFailures = new Map()
  const done = new AbortController()
  const signal = options.signal == null ? done.signal : AbortSignal.any([options.signal, done.signal])
  // resolved (and replaced) on every change a waiting worker may care about
  let wake = (): void => {}
  let changed = new Promise<void>(resolve => { wake = resolve })
  const notify = (): void => { wake(); changed = new Promise<void>(resolve => { wake = resolve }) }
  let writeError: Error | undefined
  let writing = false
  const { allocate, release } = blockPool(blockSize)

  // appends the ready blocks in order; one writer at a time
  const flush = async (): Promise<void> => {
    if (writing) return
    writing = true
    try {
      for (let next = b.ready.get(b.written); next != null && writeError == null; next = b.ready.get(b.written)) {
        await partial.write(next.bytes, { signal })
        b.ready.delete(b.written)
        b.written++
        release(next.bytes)
        options.onBytes?.(next.bytes.byteLength, next.peer)
        notify()
      }
    } catch (err: any) {
      writeError ??= err
      done.abort(err)
    } finally {
      writing = false
    }
    if (b.written >= count) done.abort()
    notify()
  }

  const received = (peer: string) => (index: number, bytes: Uint8Array): void => {
    b.asked.delete(index)
    if (index < b.written || b.ready.has(index)) { release(bytes); return }
    b.ready.set(index, { bytes, peer })
    void flush()
  }

  const worker = async (peer: PeerId): Promise<void> => {
    const id = peer.toString()
    let stalled = false
    while (b.written < count && !failures.has(id) && !signal.aborted) {
      const run = take(b, id, stalled)
      if (run == null) { stalled = await waitForChange(changed, signal); continue }
      stalled = false
      for (const i of run) b.asked.set(i, (b.asked.get(i) ?? new Set()).add(id))
      try {
        await fetchBlocksFrom(host, peer, target, run[0], run.length, received(id), { signal, idleTimeout: options.idleTimeout, allocate })
      } catch (err: any) {
        if (signal.aborted) return
        if (!failures.has(id)) {
          failures.set(id, err)
          log('dropping holder %p of %s: %s: %s', peer, target.cid, err?.name ?? 'Error', err?.message ?? err)
        }
      } finally {
        settle(b, run, id)
        notify()
      }
    }
  }

  try {
    await Promise.all(peers.flatMap(peer => Array.from({ length: FETCH_STREAMS_PER_HOLDER }, async () => await worker(peer))))
    while (writing) await changed
  } finally {
    done.abort()
  }
  options.signal?.throwIfAborted()
  if (writeError != null) throw writeError
  return { complete: b.written >= count, failures }
}
