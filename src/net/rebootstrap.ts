/**
 * Dialling the bootstrap peers again while the node is alone. libp2p's bootstrap module dials
 * them once, at start: when that dial fails (the bootstrap node is not up yet, or too busy to
 * finish the Noise handshakes of many nodes joining at once, as on a loaded machine) the node
 * stays alone for good, its routing table empty. A node can also hold a connection and still
 * have an empty routing table: kad-dht adds a peer when identify names its protocol, and an
 * identify that timed out on a starved machine is never run again on that connection (seen in
 * the netns testbed: a daemon alone for 13 minutes with its bootstrap connection open).
 * Here, every pause (growing from `interval` to `maxInterval`, with jitter so that nodes that
 * failed together do not retry together) a node without connections, or with an empty routing
 * table, closes what it holds to its bootstrap peers and dials them anew.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { namedPeer } from './addresses.js'
import type { ComponentLogger, PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RebootstrapInit {
  /** Multiaddrs with `/p2p/<peer id>`. */
  list: string[]
  /** First pause (ms), again after the node had connections. */
  interval: number
  /** Longest pause (ms) between tries while the node stays alone. */
  maxInterval: number
  /** Deadline of one dial (ms). */
  dialTimeout: number
  /** How many peers the DHT's routing table holds; none counts as alone even when connected. */
  routingTableSize?: () => number
}

export interface RebootstrapComponents {
  connectionManager: {
    getConnections: () => unknown[]
    closeConnections: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<void>
    openConnection: (address: Multiaddr, options?: { signal?: AbortSignal }) => Promise<unknown>
  }
  logger: ComponentLogger
}

export function rebootstrap (init: RebootstrapInit): (components: RebootstrapComponents) => Startable {
  return (components) => {
    const log = components.logger.forComponent('paip:net:rebootstrap')
    const list = init.list.map(a => multiaddr(a))
    let timer: ReturnType<typeof setTimeout> | undefined
    let controller = new AbortController()
    let pause = init.interval

    const schedule = (): void => {
      // 0.5x to 1.5x the pause
      timer = setTimeout(() => { void tick() }, pause * (0.5 + Math.random()))
      timer.unref?.()
    }

    async function tick (): Promise<void> {
      if (controller.signal.aborted) return
      const connected = components.connectionManager.getConnections().length > 0
      const known = init.routingTableSize?.() ?? 1
      if (connected && known > 0) {
        pause = init.interval
      } else {
        log('%s: dialling %d bootstrap peers again', connected ? 'empty routing table' : 'no connection', list.length)
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(init.dialTimeout)])
        await Promise.allSettled(list.map(async address => {
          // a fresh connection runs identify again, which is what puts the peer in the routing table
          const peer = namedPeer(address)
          if (connected && peer != null) await components.connectionManager.closeConnections(peerIdFromString(peer), { signal })
          await components.connectionManager.openConnection(address, { signal })
        }))
        pause = Math.min(pause * 2, init.maxInterval)
      }
      if (!controller.signal.aborted) schedule()
    }

    return {
      start () {
        if (list.length === 0) return
        controller = new AbortController()
        pause = init.interval
        schedule()
      },
      stop () {
        controller.abort()
        if (timer != null) clearTimeout(timer)
        timer = undefined
      }
    }
  }
}
