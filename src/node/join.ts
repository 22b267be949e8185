import { randomBytes } from 'node:crypto'
import { pause } from '../time.js'
import type { Host } from '../net/host.js'
import type { Logger } from '@libp2p/interface'

export interface JoinerInit {
  /** Stop looking up once the routing table holds this many peers (a full k-bucket). */
  enough: number
  /** First pause between lookups (ms), again whenever a lookup found new peers. */
  interval: number
  /** The pause between checks once the table holds `enough` peers (no lookup then). */
  maxInterval: number
  /**
   * Lookups that find nobody new double the pause up to this (default `maxInterval`): a grid
   * smaller than `enough` never fills the table, and looking it up every `maxInterval` forever
   * is all an idle daemon of a small grid would do. Losing peers starts again from `interval`.
   */
  idleInterval?: number
  /** Deadline of one lookup (ms). */
  timeout: number
  signal: AbortSignal
  log: Logger
}

/**
 * Fills the routing table after start: looks up random keys on the DHT, each lookup with a
 * deadline, until the table holds `enough` peers, then checks again every `maxInterval`; while
 * lookups find nobody new, they come ever more rarely (up to `idleInterval`).
 * kad-dht's self-query alone leaves late joiners with little more than their bootstrap peer:
 * peers answer a FIND_NODE only with peers closer to the key than the asker, which for the
 * asker's own ID is none.
 */
export async function runJoiner (host: Host, init: JoinerInit): Promise<void> {
  const { signal, log } = init
  let wait = init.interval
  let last = 0
  while (!signal.aborted) {
    const before = host.services.dht.routingTable.size
    // peers left: look for others soon
    if (before < last) wait = init.interval
    if (before < init.enough && before > 0) {
      try {
        const lookup = AbortSignal.any([signal, AbortSignal.timeout(init.timeout)])
        // a random key: peers answer only with peers closer to the key than the asker, so a
        // lookup of the node's own ID learns nothing new, while random keys walk the network
        for await (const event of host.services.dht.getClosestPeers(randomBytes(32), { signal: lookup })) {
          void event
        }
      } catch (err: any) {
        if (signal.aborted) return
        log('join lookup ended early: %s', err.message)
      }
      const after = host.services.dht.routingTable.size
      log('join lookup: routing table %d -> %d peers', before, after)
      wait = after > before ? init.interval : Math.min(wait * 2, init.idleInterval ?? init.maxInterval)
    } else {
      wait = before === 0 ? init.interval : init.maxInterval
    }
    last = host.services.dht.routingTable.size
    await pause(wait, signal)
  }
}

