import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePublicAddressesMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { preSharedKey } from '@libp2p/pnet'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import * as C from './constants.js'
import { noiseCrypto } from './noise-crypto.js'
import { rebootstrap } from './rebootstrap.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHTComponents, SingleKadDHT, Selectors, Validators } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { ComponentLogger, Libp2p, Metrics, PrivateKey, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export type HostServices = {
  identify: Identify
  ping: Ping
  /** The single-protocol DHT, whose `routingTable.size` the health check reports. */
  dht: SingleKadDHT
  /** Dials the bootstrap peers again while the node has no connection (see rebootstrap.ts). */
  rebootstrap: Startable
}

export type Host = Libp2p<HostServices>

/**
 * Which addresses peers learn of each other through the DHT:
 * - `private`: keep loopback and LAN addresses, drop public ones (a LAN or loopback grid);
 * - `public`: keep public addresses only (the DHT's own default, for internet grids);
 * - `all`: keep everything.
 */
export type AddressFilter = 'private' | 'public' | 'all'

export interface HostInit {
  privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`, `/ip4/0.0.0.0/tcp/4002/ws`, `/memory/a`. */
  listen: string[]
  /** Multiaddrs to announce instead of the listen addresses (NAT, containers). */
  announce?: string[]
  /** Multiaddrs (with `/p2p/<peer id>`) dialled at start. */
  bootstrap?: string[]
  /** Swarm key (the go-ipfs `swarm.key` text format): only nodes holding it can connect. */
  swarmKey?: Uint8Array
  datastore?: Datastore
  logger?: ComponentLogger
  addressFilter?: AddressFilter
  /** DHT record validators and selectors, one pair per record namespace the grid uses. */
  validators?: Validators
  selectors?: Selectors
  /** Multiaddrs (`/ip4/10.0.0.0/ipcidr/8`) exempt from connection limits; default loopback. */
  allow?: string[]
  inboundConnectionThreshold?: number
  maxConnections?: number
  reprovide?: { validity?: number, interval?: number, threshold?: number }
  /** Ask the DHT about ourselves this often (ms); kept short in tests. */
  querySelfInterval?: number
  /** Ping each open connection this often (ms) and close it when the ping fails. */
  pingInterval?: number
  /** libp2p's metrics (`@libp2p/prometheus-metrics`), exported at the node's `GET /metrics`. */
  metrics?: (components: any) => Metrics
}

const mappers = {
  private: removePublicAddressesMapper,
  public: removePrivateAddressesMapper,
  all: passthroughMapper
}

/**
 * Builds (does not start) the node's libp2p host: TCP, WebSockets and in-memory transports,
 * Noise, Yamux, identify, ping, bootstrap (dialled again while the node has no connection) and kad-dht in server mode on the paip protocol.
 */
export async function createHost (init: HostInit): Promise<Host> {
  const bootstrapList = init.bootstrap ?? []
  // the rebootstrap service reads the DHT's routing table, a sibling service built in the same call
  let host: Host | undefined
  host = await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    metrics: init.metrics,
    addresses: {
      listen: init.listen,
      announce: init.announce ?? []
    },
    transports: [tcp(), webSockets(), memory()],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: C.STREAM_MAX_WINDOW_BYTES, maxReadBufferLength: C.STREAM_MAX_READ_BUFFER_BYTES } })],
    connectionProtector: init.swarmKey == null ? undefined : preSharedKey({ psk: init.swarmKey }),
    peerDiscovery: bootstrapList.length > 0 ? [bootstrap({ list: bootstrapList, timeout: 0 })] : [],
    connectionMonitor: { pingInterval: init.pingInterval ?? C.CONNECTION_PING_INTERVAL },
    connectionManager: {
      maxConnections: init.maxConnections ?? C.MAX_CONNECTIONS,
      inboundConnectionThreshold: init.inboundConnectionThreshold ?? C.INBOUND_CONNECTION_THRESHOLD,
      allow: init.allow ?? C.DEFAULT_ALLOW
    },
    datastore: init.datastore,
    logger: init.logger,
    services: {
      identify: identify(),
      rebootstrap: rebootstrap({
        list: bootstrapList,
        interval: C.REBOOTSTRAP_INTERVAL,
        maxInterval: C.REBOOTSTRAP_MAX_INTERVAL,
        dialTimeout: C.DIAL_TIMEOUT,
        routingTableSize: () => host?.services.dht.routingTable.size ?? 1
      }),
      // libp2p's connection monitor and kad-dht (checking a contact before adding or evicting
      // it) ping over the same connection at once; with the ping protocol's default of one
      // outbound stream the monitor's ping fails and it aborts the connection, killing every
      // DHT query in flight on it
      ping: ping({ maxOutboundStreams: C.PING_MAX_OUTBOUND_STREAMS, maxInboundStreams: C.PING_MAX_INBOUND_STREAMS }),
      dht: kadDHT({
        protocol: C.DHT_PROTOCOL,
        clientMode: false,
        alpha: C.DHT_ALPHA,
        disjointPaths: C.DHT_DISJOINT_PATHS,
        peerInfoMapper: mappers[init.addressFilter ?? 'private'],
        validators: init.validators ?? {},
        selectors: init.selectors ?? {},
        querySelfInterval: init.querySelfInterval,
        reprovide: {
          validity: init.reprovide?.validity ?? C.PROVIDE_VALIDITY,
          interval: init.reprovide?.interval ?? C.REPROVIDE_INTERVAL,
          threshold: init.reprovide?.threshold ?? C.REPROVIDE_THRESHOLD,
          concurrency: C.REPROVIDE_CONCURRENCY
        }
      }) as (components: KadDHTComponents) => SingleKadDHT
    }
  })
  return host
}
