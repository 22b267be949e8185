import { PROVIDE_RETRY_INTERVAL, PROVIDE_TIMEOUT, REPROVIDE_INTERVAL } from './constants.js'
import { entryKeys } from './keys.js'
import type { CatalogStore } from './store.js'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** The part of libp2p's content routing the catalog announces through (`libp2p.contentRouting`). */
export interface ProvideRouting {
  provide: (key: CID, options?: { signal?: AbortSignal }) => Promise<void>
  cancelReprovide: (key: CID, options?: { signal?: AbortSignal }) => Promise<void>
}

export interface AnnouncerInit {
  reprovideInterval?: number
  provideTimeout?: number
  /** After a round where some keys could not be provided, try again this soon (ms). */
  provideRetryInterval?: number
  /** True once the DHT has peers to provide to; the first round waits for it (at most a minute). */
  ready?: () => boolean
}

/**
 * Keeps the catalog's keys provided on the DHT: every key once at start (kad-dht only
 * re-provides what it provided in this process run), again on a schedule, new entries' keys
 * when added, and stops re-providing keys no remaining entry needs.
 */
export class Announcer {
  private timer?: ReturnType<typeof setTimeout>
  private readonly shutdown = new AbortController()
  private readonly inflight = new Set<Promise<void>>()
  private readonly retries = new Set<ReturnType<typeof setTimeout>>()

  constructor (
    private readonly routing: ProvideRouting,
    private readonly store: CatalogStore,
    private readonly log: Logger,
    private readonly init: AnnouncerInit = {}
  ) {}

  start (): void {
    this.track((async () => {
      await this.waitReady()
      await this.provideAll()
    })())
    this.schedule()
  }

  private async waitReady (): Promise<void> {
    const ready = this.init.ready
    if (ready == null) return
    const end = Date.now() + PROVIDE_TIMEOUT
    while (!ready() && Date.now() < end && !this.shutdown.signal.aborted) {
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  async stop (): Promise<void> {
    clearTimeout(this.timer)
    for (const retry of this.retries) clearTimeout(retry)
    this.shutdown.abort()
    await Promise.allSettled([...this.inflight])
  }

  private schedule (): void {
    const interval = this.init.reprovideInterval ?? REPROVIDE_INTERVAL
    this.timer = setTimeout(() => {
      this.track(this.provideAll())
      this.schedule()
    }, interval)
    this.timer.unref?.()
  }

  private track (work: Promise<void>): void {
    this.inflight.add(work)
    void work.finally(() => this.inflight.delete(work))
  }

  /** Every distinct key of every entry (tags shared by entries are announced once). */
  async allKeys (): Promise<Map<string, CID>> {
    const keys = new Map<string, CID>()
    for await (const entry of this.store.list()) {
      for (const key of entryKeys(entry)) keys.set(key.toString(), key)
    }
    return keys
  }

  async provideAll (): Promise<void> {
    if (this.shutdown.signal.aborted) return
    const keys = await this.allKeys()
    this.log('providing %d catalog keys', keys.size)
    const ok = await this.provide([...keys.values()])
    if (ok < keys.size && !this.shutdown.signal.aborted) {
      // some keys did not reach the DHT (no peers yet, timeouts): try again soon, not in 12 h
      const retry = setTimeout(() => { this.track(this.provideAll()) }, this.init.provideRetryInterval ?? PROVIDE_RETRY_INTERVAL)
      retry.unref?.()
      this.retries.add(retry)
    }
  }

  /**
   * Provides a new entry's keys: awaited when the DHT has peers; on a node alone, in the
   * background once peers come (an add does not wait a minute for a provide that cannot work).
   */
  async announce (keys: CID[]): Promise<void> {
    if (this.init.ready != null && !this.init.ready()) {
      this.track((async () => {
        await this.waitReady()
        if (!this.shutdown.signal.aborted) await this.provide(keys)
      })())
      return
    }
    await this.provide(keys)
  }

  /** Provides keys (in parallel, each with a deadline); failures are logged, not thrown. */
  async provide (keys: CID[], options: { signal?: AbortSignal } = {}): Promise<number> {
    let ok = 0
    await Promise.all(keys.map(async key => {
      const signals = [this.shutdown.signal, AbortSignal.timeout(this.init.provideTimeout ?? PROVIDE_TIMEOUT)]
      if (options.signal != null) signals.push(options.signal)
      try {
        await this.routing.provide(key, { signal: AbortSignal.any(signals) })
        ok++
      } catch (err: any) {
        this.log.error('could not provide %s: %s', key, err?.message ?? err)
      }
    }))
    return ok
  }

  /** Stops re-providing the keys no remaining entry needs. */
  async withdraw (keys: CID[]): Promise<void> {
    const still = await this.allKeys()
    for (const key of keys) {
      if (still.has(key.toString())) continue
      try {
        await this.routing.cancelReprovide(key, { signal: AbortSignal.timeout(this.init.provideTimeout ?? PROVIDE_TIMEOUT) })
      } catch (err: any) {
        this.log.error('could not cancel providing %s: %s', key, err?.message ?? err)
      }
    }
  }
}
