/**
 * Units of time in milliseconds, for defaults written in named units
 * (`export const QUERY_TIMEOUT = 10 * second`).
 */
export const second = 1000
export const minute = 60 * second
export const hour = 60 * minute
export const day = 24 * hour

/** Resolves after `ms`; rejects with the signal's reason when it aborts first (or was aborted). */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** `promise`'s value, or the signal's reason as soon as it aborts (the promise goes on). */
export async function abortable<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  let onAbort = (): void => {}
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Resolves after `ms`, or at once when the signal aborts (never rejects): for loops that look
 * at the signal themselves after each pause.
 */
export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, signal).catch(() => {})
}
