/** A minimal async queue: producers push, one consumer iterates until end(). */
export interface Channel<T> extends AsyncIterable<T> {
  push(value: T): void
  end(): void
}

export function channel<T> (): Channel<T> {
  const buffer: T[] = []
  let ended = false
  let wake: (() => void) | undefined
  return {
    push (value) { if (!ended) { buffer.push(value); wake?.() } },
    end () { ended = true; wake?.() },
    async * [Symbol.asyncIterator] () {
      while (true) {
        if (buffer.length > 0) { yield buffer.shift() as T; continue }
        if (ended) return
        await new Promise<void>(resolve => { wake = resolve })
        wake = undefined
      }
    }
  }
}

export type Limiter = <R>(task: () => Promise<R>) => Promise<R>

/** Runs at most `limit` tasks at once, in order. */
export function limiter (limit: number): Limiter {
  let running = 0
  const waiting: Array<() => void> = []
  return async <R>(task: () => Promise<R>): Promise<R> => {
    if (running >= limit) await new Promise<void>(resolve => { waiting.push(resolve) })
    running++
    try { return await task() } finally {
      running--
      waiting.shift()?.()
    }
  }
}

