import { entryKeys } from './keys.js'
import type { CatalogEntry, CatalogStore } from './store.js'
import type { Routing } from '../net/routing.js'

/**
 * Provides an entry's keys (its tags, name and manifest CID). On a node alone the keys wait
 * in the routing service and are announced once the DHT has peers, so an add never waits for
 * a provide that cannot work; kad-dht re-provides them from then on, also after a restart.
 */
export async function announceEntry (routing: Routing, entry: CatalogEntry): Promise<void> {
  await routing.announce(entryKeys(entry))
}

/** Stops providing the keys of a removed entry that no remaining entry needs (tags are shared). */
export async function withdrawEntry (routing: Routing, store: CatalogStore, entry: CatalogEntry): Promise<void> {
  const still = new Set<string>()
  for await (const other of store.list()) {
    for (const key of entryKeys(other)) still.add(key.toString())
  }
  await routing.withdraw(entryKeys(entry).filter(key => !still.has(key.toString())))
}
