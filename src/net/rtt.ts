import { randomBytes } from 'node:crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { BadPeerMessageError } from './errors.js'
import { DIAL_TIMEOUT } from './constants.js'
import type { Host } from './host.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * paip's own echo protocol for `paip ping`. libp2p's ping allows one outbound stream per
 * connection, which its connection monitor and the DHT's contact checks use all the time, so
 * a user's ping there fails now and then with "too many outbound protocol streams".
 */
export const RTT_PROTOCOL = '/paip/ping/1.0.0'
const RTT_BYTES = 32
const MAX_STREAMS = 32

/** Answers RTT probes: echoes up to 32 bytes back. */
export async function handleRtt (host: Host): Promise<void> {
  await host.handle(RTT_PROTOCOL, async stream => {
    const signal = AbortSignal.timeout(DIAL_TIMEOUT)
    const onAbort = (): void => { stream.abort(new Error('RTT probe timed out')) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      let total = 0
      for await (const chunk of stream) {
        total += chunk.byteLength
        if (total > RTT_BYTES) {
          stream.abort(new BadPeerMessageError('RTT probe too long'))
          return
        }
        stream.send(chunk)
      }
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }, { maxInboundStreams: MAX_STREAMS, maxOutboundStreams: MAX_STREAMS })
}

export interface RttOptions extends AbortOptions {
  /** Deadline of the whole probe, dial included (ms); default DIAL_TIMEOUT. */
  timeout?: number
}

/**
 * Round-trip time (ms) of one echo over RTT_PROTOCOL. Fails when the peer closes the stream
 * before echoing the probe whole, answers other bytes, or misses the deadline.
 */
export async function measureRtt (host: Host, target: PeerId | Multiaddr, options: RttOptions = {}): Promise<number> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeout ?? DIAL_TIMEOUT), ...(options.signal == null ? [] : [options.signal])])
  const stream = await host.dialProtocol(target, RTT_PROTOCOL, { signal })
  const data = randomBytes(RTT_BYTES)
  const received = new Uint8ArrayList()
  let resolve!: (rtt: number) => void
  let reject!: (err: unknown) => void
  const answered = new Promise<number>((res, rej) => { resolve = res; reject = rej })
  answered.catch(() => {}) // read below, or never when sending fails first
  let start = 0
  const onMessage = (event: any): void => {
    received.append(event.data)
    if (received.byteLength < RTT_BYTES) return
    const rtt = performance.now() - start
    if (!Buffer.from(received.subarray()).equals(data)) reject(new BadPeerMessageError('the peer answered the RTT probe with other bytes'))
    else resolve(Math.round(rtt * 10) / 10)
  }
  // settles nothing once the echo is in: a promise settles once
  const onEnd = (): void => { reject(new BadPeerMessageError(`the peer closed the RTT probe after echoing ${received.byteLength} of ${RTT_BYTES} bytes`)) }
  const onAbort = (): void => { reject(signal.reason) }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('end', onEnd)
  stream.addEventListener('close', onEnd)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    start = performance.now()
    stream.send(data)
    await stream.close({ signal })
    return await answered
  } catch (err: any) {
    stream.abort(err)
    throw err
  } finally {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('end', onEnd)
    stream.removeEventListener('close', onEnd)
    signal.removeEventListener('abort', onAbort)
  }
}
