import { EventEmitter } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { LOG_CHUNK_BYTES } from './constants.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * Each job's log (stdout and stderr, secrets already hidden) in a file of its own, appended as
 * it runs; readers can read from an offset and follow new bytes until the job ends.
 */

export interface LogBook {
  append: (id: string, bytes: Uint8Array) => Promise<void>
  /** Marks a job's log complete (wakes followers). */
  end: (id: string) => void
  size: (id: string) => Promise<number>
  /**
   * Chunks from `offset`; with `follow`, keeps yielding new bytes until `isDone()` says the job
   * ended and everything was read, or the signal aborts.
   */
  read: (id: string, options: ReadLogOptions) => AsyncGenerator<Uint8Array>
  remove: (id: string) => Promise<void>
}

export interface ReadLogOptions extends AbortOptions {
  offset?: number
  follow?: boolean
  isDone?: () => Promise<boolean> | boolean
}

export function createLogBook (dir: string): LogBook {
  const events = new EventEmitter()
  events.setMaxListeners(0)
  const file = (id: string): string => path.join(dir, `${id}.log`)
  let made: Promise<unknown> | undefined

  async function size (id: string): Promise<number> {
    try { return (await fs.stat(file(id))).size } catch { return 0 }
  }

  async function waitForChange (id: string, signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        events.off(id, done)
        signal?.removeEventListener('abort', done)
        clearTimeout(timer)
        resolve()
      }
      // a safety poll: appends by another writer of the same file are seen too
      const timer = setTimeout(done, 1000)
      events.on(id, done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  return {
    async append (id, bytes) {
      made ??= fs.mkdir(dir, { recursive: true })
      await made
      await fs.appendFile(file(id), bytes)
      events.emit(id)
    },
    end (id) { events.emit(id) },
    size,
    async * read (id, options) {
      let offset = options.offset ?? 0
      while (true) {
        options.signal?.throwIfAborted()
        // check before reading, so bytes written before the end are never missed
        const done = options.follow === true ? await options.isDone?.() ?? true : true
        const total = await size(id)
        if (total > offset) {
          const handle = await fs.open(file(id), 'r')
          try {
            while (offset < total) {
              const length = Math.min(LOG_CHUNK_BYTES, total - offset)
              const buf = Buffer.alloc(length)
              const { bytesRead } = await handle.read(buf, 0, length, offset)
              if (bytesRead === 0) break
              offset += bytesRead
              yield buf.subarray(0, bytesRead)
            }
          } finally {
            await handle.close()
          }
          continue
        }
        if (done) return
        await waitForChange(id, options.signal)
      }
    },
    async remove (id) {
      await fs.rm(file(id), { force: true })
    }
  }
}
