import { HIGH_WATER_ENTRIES } from './constants.js'

/**
 * Replay protection: the highest sequence number seen per record key, in memory and (once the
 * node attaches its database) on disk.
 */

/** Remembers the highest sequence number seen per key, so replayed older records are refused. */
export interface HighWaterStore {
  get(key: string): number | undefined | Promise<number | undefined>
  set(key: string, seq: number): void | Promise<void>
}

/** An in-memory high-water store holding at most `max` keys (oldest forgotten first). */
export function memoryHighWater (max = HIGH_WATER_ENTRIES): HighWaterStore {
  const seen = new Map<string, number>()
  return {
    get: key => seen.get(key),
    set (key, seq) {
      seen.delete(key)
      seen.set(key, seq)
      if (seen.size > max) seen.delete(seen.keys().next().value as string)
    }
  }
}

/** A key-value store for high-water marks (a level sublevel with JSON values fits). */
export interface HighWaterDb {
  get(key: string): Promise<any>
  put(key: string, value: any): Promise<void>
}

export interface AttachableHighWater extends HighWaterStore {
  /** Keeps marks in `db` too (the first db attached wins), so replays stay refused after a restart. */
  attach(db: HighWaterDb): void
}

/**
 * High-water marks in memory, and in a database once one is attached (the node attaches its own
 * when it builds its components; the DHT validator exists before that). Database errors (a
 * closed database) fall back to memory.
 */
export function persistentHighWater (max = HIGH_WATER_ENTRIES): AttachableHighWater {
  const memory = memoryHighWater(max)
  let db: HighWaterDb | undefined
  const dbKey = (key: string): string => Buffer.from(key, 'latin1').toString('hex')
  return {
    attach (store) { db ??= store },
    async get (key) {
      const held = await memory.get(key)
      if (held != null || db == null) return held
      try {
        const value = await db.get(dbKey(key))
        return Number.isSafeInteger(value) ? value : undefined
      } catch {
        return undefined
      }
    },
    async set (key, seq) {
      await memory.set(key, seq)
      await db?.put(dbKey(key), seq).catch(() => {})
    }
  }
}
