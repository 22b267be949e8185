/**
 * Dialling the bootstrap peers again while the node has no connection. libp2p's bootstrap
 * module dials them once, at start: when that dial fails (the bootstrap node is not up yet, or
 * too busy to finish the Noise handshakes of many nodes joining at once, as on a loaded
 * machine) the node stays alone for good, its routing table empty. Here, every pause (growing
 * from `interval` to `maxInterval`, with jitter so that nodes that failed together do not retry
 * together) a node without connections dials its bootstrap peers again.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Startable } from '@libp2p/interface'
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
}

export interface RebootstrapComponents {
  connectionManager: {
    getConnections: () => unknown[]
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
      if (components.connectionManager.getConnections().length > 0) {
        pause = init.interval
      } else {
        log('no connection: dialling %d bootstrap peers again', list.length)
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(init.dialTimeout)])
        await Promise.allSettled(list.map(async address => {
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
