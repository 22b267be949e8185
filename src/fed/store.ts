import { MAX_LOG_LINES } from './constants.js'
import type { FedKeyPair, SignedFedKey } from './secure.js'
import type { StoredFedRun } from './types.js'
import type { AbstractLevel } from 'abstract-level'

/** The fed component's part of the node database (a JSON-valued sublevel). */
export type FedDb = AbstractLevel<any, string, any>

/**
 * Runs this node coordinates (`run!<id>`), their log lines (`log!<id>!<seq>`), and, as a
 * worker, its round keys (`key!<run>!<round>`): everything a coordinator or worker needs
 * after a restart.
 */
export class FedStore {
  private readonly seq = new Map<string, number>()
  constructor (private readonly db: FedDb) {}

  async get (id: string): Promise<StoredFedRun | undefined> {
    const value = await this.db.get(`run!${id}`)
    return value ?? undefined
  }

  async put (run: StoredFedRun): Promise<void> {
    await this.db.put(`run!${run.id}`, run)
  }

  async * list (): AsyncGenerator<StoredFedRun> {
    for await (const value of this.db.values({ gt: 'run!', lt: 'run!\xff' })) yield value
  }

  async log (id: string, line: string): Promise<void> {
    let n = this.seq.get(id)
    if (n == null) {
      n = 0
      for await (const key of this.db.keys({ gt: `log!${id}!`, lt: `log!${id}!\xff`, reverse: true, limit: 1 })) n = Number(key.split('!').pop()) + 1
    }
    if (n >= MAX_LOG_LINES) return
    this.seq.set(id, n + 1)
    await this.db.put(`log!${id}!${String(n).padStart(8, '0')}`, `${new Date().toISOString()} ${line}`)
  }

  async logs (id: string, offset = 0): Promise<string[]> {
    const out: string[] = []
    for await (const value of this.db.values({ gte: `log!${id}!${String(offset).padStart(8, '0')}`, lt: `log!${id}!\xff` })) out.push(value)
    return out
  }

  /** The worker's key pair for a round, made once (a resumed coordinator gets the same key). */
  async keyPair (ns: string, step: string, make: () => FedKeyPair): Promise<FedKeyPair> {
    const key = `key!${ns}!${step}`
    const existing = await this.db.get(key)
    if (existing != null) return existing
    const pair = make()
    await this.db.put(key, pair)
    return pair
  }

  /** The signed keys of a secure round's workers, as this worker was given them. */
  async putPeers (ns: string, step: string, keys: SignedFedKey[]): Promise<void> {
    await this.db.put(`peers!${ns}!${step}`, keys)
  }

  async getPeers (ns: string, step: string): Promise<SignedFedKey[] | undefined> {
    return (await this.db.get(`peers!${ns}!${step}`)) ?? undefined
  }
}
