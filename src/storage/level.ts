import type { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'

/** The node's one level database (opened by the node); components get a sublevel each. */
export type Database = Level<string, any>

/** A component's part of the database (JSON values by default). */
export type Sublevel<V = any> = AbstractSublevel<Database, string | Buffer | Uint8Array, string, V>

/** A component's sublevel with JSON values (`db.sublevel(name)` with the right types). */
export function sublevel<V = any> (db: Database, name: string): Sublevel<V> {
  return db.sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sublevel<V>
}
