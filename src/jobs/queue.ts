/**
 * The jobs waiting for a slot and the ones running: at most `slots` run at a time, in the
 * order they were queued. What a run does is the caller's (`run`); the queue only starts,
 * stops and counts.
 */

export interface SlotQueueInit {
  slots: number
  /** Runs one job; `signal` is aborted (with a StopReason) to stop it. */
  run: (id: string, signal: AbortSignal) => Promise<void>
  /** Called when `run` throws (the job must still end). */
  failed: (id: string, err: any) => Promise<void>
}

export interface Running {
  controller: AbortController
  done: Promise<void>
}

export interface SlotQueue {
  /** Starts queued jobs while slots are free (nothing before `open`). */
  open: () => void
  /** Aborts every running job with `reason` and waits for them; nothing starts any more. */
  close: (reason: unknown) => Promise<void>
  push: (id: string) => void
  /** Starts queued jobs while slots are free. */
  pump: () => void
  /** Takes a waiting job out of the queue. */
  remove: (id: string) => void
  /** Forgets every waiting job (they stay queued in the store). */
  clear: () => void
  running: (id: string) => Running | undefined
  load: () => { slots: number, free: number, queued: number }
}

export function createSlotQueue (init: SlotQueueInit): SlotQueue {
  const waiting: string[] = []
  const running = new Map<string, Running>()
  let open = false

  function start (id: string): void {
    const controller = new AbortController()
    const entry: Running = { controller, done: Promise.resolve() }
    running.set(id, entry)
    entry.done = init.run(id, controller.signal)
      .catch(async err => { await init.failed(id, err) })
      .catch(() => {})
      .finally(() => { running.delete(id); pump() })
  }

  function pump (): void {
    while (open && running.size < init.slots && waiting.length > 0) start(waiting.shift() as string)
  }

  return {
    open () { open = true; pump() },
    async close (reason) {
      open = false
      for (const { controller } of running.values()) controller.abort(reason)
      await Promise.all([...running.values()].map(async r => await r.done))
    },
    push (id) { waiting.push(id) },
    pump,
    remove (id) {
      const at = waiting.indexOf(id)
      if (at !== -1) waiting.splice(at, 1)
    },
    running: id => running.get(id),
    load () {
      return { slots: init.slots, free: Math.max(0, init.slots - running.size - waiting.length), queued: waiting.length }
    },
    clear () { waiting.length = 0 }
  }
}
