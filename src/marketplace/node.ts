/**
 * How a node runs the marketplace and its users: the entries for COMPONENTS in
 * src/node/registry.ts (`...marketplaceEntries()`), with `users: Users` and
 * `marketplace: Marketplace` added to NodeComponents.
 */
import { dhtRecordOptions, persistentHighWater } from '../net/records.js'
import { sublevel } from '../node/database.js'
import { createUsers } from '../users/index.js'
import { createMarketplace } from './index.js'
import { protocolRecords } from './record.js'
import type { ComponentEntry, NodeComponents } from '../node/components.js'
import type { ProtocolRecordValue } from './record.js'
import type { AttachableHighWater, RecordNamespace } from '../net/records.js'

/**
 * The users entry (sublevel `users`, its tokens accepted by the node's authenticator) and the
 * marketplace entry (sublevel `marketplace`, its record namespace registered on the DHT).
 * One record namespace is shared by the DHT validator and the marketplace, so both see the
 * same highest sequence numbers.
 */
export function marketplaceEntries (highWater: AttachableHighWater = persistentHighWater(), records: RecordNamespace<ProtocolRecordValue> = protocolRecords({ highWater })): ComponentEntry[] {
  const users = {
    name: 'users',
    create: (c: NodeComponents) => createUsers({ db: sublevel(c.db, 'users'), logger: c.logger, authenticator: c.authenticator })
  }
  const marketplace = {
    name: 'marketplace',
    records: dhtRecordOptions(records),
    create: (c: NodeComponents) => {
      // replay protection outlives restarts: the highest seq seen per key, in the node's database
      highWater.attach(sublevel(c.db, 'record-seq'))
      return createMarketplace({
        host: c.host, routing: c.routing, privateKey: c.privateKey, db: sublevel(c.db, 'marketplace') as any, logger: c.logger, shutdownSignal: c.shutdownSignal
      }, { records })
    }
  }
  return [users, marketplace] as unknown as ComponentEntry[]
}
