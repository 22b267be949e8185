import { Level } from 'level'
import { LevelDatastore } from 'datastore-level'
import { DatabaseCorruptError, NodeHomeBusyError } from './errors.js'
import type { Database } from '../storage/level.js'

export { sublevel } from '../storage/level.js'
export type { Database, Sublevel } from '../storage/level.js'

/** Opens (creating when missing) the node database; never repairs or overwrites it. */
export async function openDatabase (path: string, home: string): Promise<Database> {
  const db: Database = new Level<string, any>(path, { valueEncoding: 'json' })
  try {
    await db.open()
  } catch (err: any) {
    const cause = err.cause ?? err
    if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String(cause?.message))) throw new NodeHomeBusyError(home)
    throw new DatabaseCorruptError(path, String(cause?.message ?? err.message).split('\n')[0], { cause: err })
  }
  return db
}

/**
 * libp2p's datastore (peer store, DHT records) on its own sublevel, so both survive a
 * restart. The caller opens it before libp2p starts and closes it after libp2p stops.
 */
export function libp2pDatastore (db: Database): LevelDatastore {
  const sub = db.sublevel<string, Uint8Array>('libp2p', { keyEncoding: 'utf8', valueEncoding: 'view' })
  return new LevelDatastore(sub as any)
}
