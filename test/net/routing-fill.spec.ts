import assert from 'node:assert/strict'
import { logger } from '@libp2p/logger'
import { runJoiner } from '../../src/node/join.js'
import { JOIN_ENOUGH_PEERS, JOIN_INTERVAL, JOIN_LOOKUP_TIMEOUT, JOIN_MAX_INTERVAL, QUERY_SELF_INTERVAL } from '../../src/node/constants.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import type { Host } from '../../src/net/host.js'

/** kad-dht's k-bucket size: a routing table this full needs nothing more. */
const K = 20

describe('net: routing tables fill', () => {
  let hosts: Host[] = []
  afterEach(async () => { await stopHosts(hosts); hosts = [] })

  it('lets the connection monitor and the DHT ping one peer at the same time', async () => {
    // libp2p's connection monitor pings every connection every 10 s and aborts it when the
    // ping fails; kad-dht pings new contacts before adding them and old ones before evicting
    // them. Both must fit on one connection, or the connection (and every DHT query on it) dies.
    hosts = await startHosts(2)
    const [a, b] = hosts
    const connection = a.getConnections(b.peerId)[0]
    assert.ok(connection != null, 'the hosts are connected')
    const signal = AbortSignal.timeout(10_000)
    const rtts = await Promise.all([1, 2, 3].map(async () => a.services.ping.ping(b.peerId, { signal })))
    assert.equal(rtts.length, 3)
    assert.equal(connection.status, 'open')
  })

  it('fills every routing table of 25 nodes started one after another', async function () {
    this.timeout(60_000)
    const count = 25
    // the node's own settings: the DHT looks itself up rarely, join lookups fill the table
    hosts = await startHosts(count, { querySelfInterval: QUERY_SELF_INTERVAL }, { oneByOne: true })
    const stop = new AbortController()
    const joiners = hosts.map(async host => runJoiner(host, {
      enough: JOIN_ENOUGH_PEERS,
      interval: JOIN_INTERVAL,
      maxInterval: JOIN_MAX_INTERVAL,
      timeout: JOIN_LOOKUP_TIMEOUT,
      signal: stop.signal,
      log: logger('paip:test:join')
    }))
    try {
      const want = Math.min(count - 1, K)
      const sizes = (): string => hosts.map(h => h.services.dht.routingTable.size).join(',')
      await until(() => hosts.every(h => h.services.dht.routingTable.size >= want), 20_000, `every routing table to hold ${want} peers`)
        .catch((err: Error) => { throw new Error(`${err.message}; sizes ${sizes()}`) })
    } finally {
      stop.abort()
      await Promise.allSettled(joiners)
    }
  })
})
