import assert from 'node:assert/strict'
import { handleRtt, measureRtt, RTT_PROTOCOL } from '../../src/net/rtt.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import type { Host } from '../../src/net/host.js'

describe('net: RTT probes (paip ping)', () => {
  let hosts: Host[] = []
  before(async () => { hosts = await startHosts(2) })
  after(async () => { await stopHosts(hosts) })
  afterEach(async () => { await hosts[1].unhandle(RTT_PROTOCOL).catch(() => {}) })

  it('measures the round trip of an echo', async () => {
    await handleRtt(hosts[1])
    const rtt = await measureRtt(hosts[0], hosts[1].peerId, { signal: AbortSignal.timeout(20_000) })
    assert.ok(rtt >= 0, String(rtt))
  })

  it('fails at once, without a signal, when the peer closes the probe without echoing it', async () => {
    await hosts[1].handle(RTT_PROTOCOL, async stream => {
      for await (const chunk of stream) void chunk
      await stream.close()
    })
    await assert.rejects(measureRtt(hosts[0], hosts[1].peerId), (err: any) => err.name === 'BadPeerMessageError')
  })

  it('gives up at its deadline, without a signal, when the peer never answers', async () => {
    await hosts[1].handle(RTT_PROTOCOL, async () => { /* holds the stream open, silent */ })
    await assert.rejects(measureRtt(hosts[0], hosts[1].peerId, { timeout: 1000 }), (err: any) => err.name === 'TimeoutError')
  })
})
