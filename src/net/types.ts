import type { Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** What the routing service needs of a libp2p host: its DHT (kad-dht) and its peer store. */
export type RoutingHost = Pick<Libp2p<{ dht: Pick<KadDHT, 'provide' | 'findProviders' | 'cancelReprovide'> & { routingTable: { size: number } } }>, 'peerId' | 'services' | 'peerStore'>
