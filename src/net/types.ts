import type { Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/**
 * What the routing service needs of a libp2p host: its DHT (kad-dht) and its peer store (and its
 * addresses, to send provider records itself, and its connections, to give a first contact
 * more time).
 */
export type RoutingHost = Pick<Libp2p<{ dht: Pick<KadDHT, 'provide' | 'findProviders' | 'cancelReprovide'> & { routingTable: { size: number } } }>, 'peerId' | 'services' | 'peerStore'> & Partial<Pick<Libp2p, 'getMultiaddrs' | 'getConnections'>>
