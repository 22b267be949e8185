import assert from 'node:assert/strict'
import { STREAM_MAX_WINDOW_BYTES, STREAM_READ_AHEAD_BYTES } from '../../src/net/constants.js'
import { dialMessages, handleRequests } from '../../src/net/rpc.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import type { Host } from '../../src/net/host.js'

const MiB = 1024 * 1024
const PROTOCOL = '/paip/test-flow/1.0.0'

describe('net: a message stream read slower than it is sent', function () {
  this.timeout(120_000)
  let hosts: Host[] = []

  before(async () => {
    hosts = await startHosts(2, {}, { transport: 'tcp' })
    await handleRequests(hosts[1], PROTOCOL, v => v as { frames: number }, async (req, ctx) => {
      const frame = new Uint8Array(256 * 1024).fill(7)
      for (let i = 0; i < req.frames; i++) await ctx.messages.writeBytes(frame, { signal: ctx.signal })
      return undefined
    }, { timeout: 120_000 })
  })

  after(async () => { await stopHosts(hosts) })

  it('delivers every frame without overflowing, pausing the sender while the reader is behind', async () => {
    const frames = 96 // 24 MiB: far more than the read buffer a stream may hold
    const messages = await dialMessages(hosts[0], hosts[1].peerId, PROTOCOL)
    await messages.write({ frames })
    let received = 0
    let paused = 0
    let mostBuffered = 0
    let arrived = 0
    messages.stream.addEventListener('message', evt => { arrived += evt.data.byteLength })
    for (let i = 0; i < frames; i++) {
      // a slow reader: every frame waits for a timer tick (as a fetch waits for the disk)
      await new Promise(resolve => setTimeout(resolve, 5))
      if (messages.stream.readStatus === 'paused') paused++
      mostBuffered = Math.max(mostBuffered, arrived - received)
      received += (await messages.readBytes()).byteLength
    }
    await messages.close()
    assert.equal(received, frames * 256 * 1024)
    assert.ok(paused > 0, 'the stream was paused while the reader was behind')
    assert.ok(mostBuffered <= STREAM_READ_AHEAD_BYTES + 2 * STREAM_MAX_WINDOW_BYTES, `at most the read-ahead and a window buffered, not ${(mostBuffered / MiB).toFixed(1)} MiB`)
  })
})
