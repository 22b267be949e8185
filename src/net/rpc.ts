import { lpStream } from '@libp2p/utils'
import { isPaipError } from '../errors.js'
import { MAX_MESSAGE_BYTES, RPC_TIMEOUT, STREAM_CLOSE_TIMEOUT, STREAM_MAX_READ_BUFFER_BYTES, STREAM_READ_AHEAD_BYTES } from './constants.js'
import { BadPeerMessageError, PeerMessageTooLargeError, PeerUnavailableError, RemoteError, StreamNotEndedError } from './errors.js'
import type { AbortOptions, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Request/response messaging over paip stream protocols: each message is one JSON document in
 * a length-prefixed frame, capped in size, checked by the caller's decoder before use. A stream
 * carries one request and then one or more responses (a handler may stream results).
 */

export type Decoder<T> = (value: unknown) => T

export interface MessageStream {
  read<T>(decode: Decoder<T>, options?: AbortOptions): Promise<T>
  /** Reads raw bytes (a binary frame), for data transfer. */
  readBytes(options?: AbortOptions): Promise<Uint8Array>
  /** Reads a binary frame as the pieces it arrived in (no copy into one buffer), for bulk transfer. */
  readByteParts(options?: AbortOptions): Promise<Uint8Array[]>
  write(value: unknown, options?: AbortOptions): Promise<void>
  writeBytes(bytes: Uint8Array, options?: AbortOptions): Promise<void>
  /** Closes our side (the peer may still send: a handler closes so, and the caller reads on). */
  close(options?: AbortOptions): Promise<void>
  /**
   * Closes our side once the peer's answer was read whole, and waits (STREAM_CLOSE_TIMEOUT at
   * most) for the peer to end its side, aborting the stream otherwise: a peer that keeps its side
   * open (or keeps sending) leaves no half-open stream here.
   */
  finish(options?: AbortOptions): Promise<void>
  abort(err: Error): void
  readonly stream: Stream
}

export interface MessageStreamInit {
  maxMessageBytes?: number
}

/** Bytes of the varint length prefix of a frame of `n` bytes. */
function prefixLength (n: number): number {
  let bytes = 1
  while (n >= 128) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function messageStream (stream: Stream, init: MessageStreamInit = {}): MessageStream {
  const max = init.maxMessageBytes ?? MAX_MESSAGE_BYTES
  // room for the biggest frame, the read-ahead and what a paused stream buffered, handed over at once on resume
  const lp: LengthPrefixedStream<Stream> = lpStream(stream, { maxDataLength: max, maxBufferSize: max + STREAM_READ_AHEAD_BYTES + STREAM_MAX_READ_BUFFER_BYTES })
  // flow control (see STREAM_READ_AHEAD_BYTES): bytes arrived and not yet read, and whether a read waits
  let unread = 0
  let reading = false
  const setPaused = (paused: boolean): void => {
    try {
      if (paused && stream.readStatus === 'readable') stream.pause()
      else if (!paused && stream.readStatus === 'paused') stream.resume()
    } catch {} // closing: nothing more to read either way
  }
  stream.addEventListener('message', evt => {
    unread += evt.data.byteLength
    if (!reading && unread > STREAM_READ_AHEAD_BYTES) setPaused(true)
  })

  /** A frame: read from what is buffered while paused; the stream resumes when that holds no whole frame. */
  async function readFrame (options?: AbortOptions): Promise<Uint8ArrayList> {
    reading = true
    try {
      const read = lp.read(options)
      if (stream.readStatus === 'paused') {
        if (unread <= STREAM_READ_AHEAD_BYTES) setPaused(false)
        else if (!await Promise.race([read.then(() => true, () => true), new Promise<boolean>(resolve => setImmediate(() => { resolve(false) }))])) setPaused(false)
      }
      const list = await read
      unread = Math.max(0, unread - list.byteLength - prefixLength(list.byteLength))
      if (unread > STREAM_READ_AHEAD_BYTES) setPaused(true)
      return list
    } catch (err: any) {
      if (err?.name === 'InvalidDataLengthError') {
        throw new PeerMessageTooLargeError(`peer message over ${max} bytes on ${stream.protocol}`)
      }
      if (err?.name === 'UnexpectedEOFError') {
        throw new BadPeerMessageError(`peer closed the stream early on ${stream.protocol}`)
      }
      throw err
    } finally {
      reading = false
    }
  }

  return {
    stream,
    async read (decode, options) {
      const bytes = (await readFrame(options)).subarray()
      let value: unknown
      try {
        value = JSON.parse(decoder.decode(bytes))
      } catch {
        throw new BadPeerMessageError(`peer sent a message that is not JSON on ${stream.protocol}`)
      }
      try {
        return decode(value)
      } catch (err: any) {
        throw new BadPeerMessageError(`peer sent a malformed message on ${stream.protocol}: ${err?.message ?? err}`)
      }
    },
    readBytes: async options => (await readFrame(options)).subarray(),
    readByteParts: async options => [...await readFrame(options)],
    async write (value, options) {
      const bytes = encoder.encode(JSON.stringify(value))
      if (bytes.byteLength > max) {
        throw new PeerMessageTooLargeError(`message over ${max} bytes on ${stream.protocol}`)
      }
      await lp.write(bytes, options)
    },
    async writeBytes (bytes, options) {
      await lp.write(bytes, options)
    },
    async close (options) {
      await stream.close(options)
    },
    async finish (options) {
      await stream.close(options)
      if (stream.remoteWriteStatus === 'closed' || stream.status !== 'open') return
      // our side is done and the answer read: the peer's must end soon, else the stream is aborted (never left half open)
      const signal = options?.signal == null ? AbortSignal.timeout(STREAM_CLOSE_TIMEOUT) : AbortSignal.any([options.signal, AbortSignal.timeout(STREAM_CLOSE_TIMEOUT)])
      const ended = await new Promise<boolean>(resolve => {
        const done = (value: boolean) => () => {
          stream.removeEventListener('remoteCloseWrite', onEnd)
          stream.removeEventListener('close', onEnd)
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        }
        const onEnd = done(true)
        const onAbort = done(false)
        stream.addEventListener('remoteCloseWrite', onEnd)
        stream.addEventListener('close', onEnd)
        signal.addEventListener('abort', onAbort)
        if (signal.aborted) onAbort()
      })
      if (!ended) stream.abort(new StreamNotEndedError(`peer did not end ${stream.protocol ?? 'its stream'} after ours`))
    },
    abort (err) {
      stream.abort(err)
    }
  }
}

/** The envelope a handler's error travels in, so the caller can rethrow it by name. */
interface ErrorEnvelope { error: { name: string, message: string, kind: string } }

function isErrorEnvelope (value: unknown): value is ErrorEnvelope {
  return typeof value === 'object' && value !== null && 'error' in value &&
    typeof (value as any).error?.name === 'string' && typeof (value as any).error?.message === 'string'
}

export interface RequestOptions extends AbortOptions, MessageStreamInit {
  /** Deadline for the whole exchange when no signal is given (ms). */
  timeout?: number
}

function deadline (options: RequestOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeout ?? RPC_TIMEOUT)
  return options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
}

/** Opens a stream to a peer on a protocol, wrapped for messages. */
export async function dialMessages (libp2p: Libp2p, peer: PeerId | Multiaddr, protocol: string, options: RequestOptions = {}): Promise<MessageStream> {
  try {
    const stream = await libp2p.dialProtocol(peer, protocol, { signal: options.signal })
    return messageStream(stream, options)
  } catch (err: any) {
    throw new PeerUnavailableError(`could not open ${protocol} to ${peer.toString()}: ${err?.message ?? err}`, { cause: err })
  }
}

/** Sends one request and reads one response, checked by `decode`. Remote errors are rethrown. */
export async function request<T> (libp2p: Libp2p, peer: PeerId | Multiaddr, protocol: string, body: unknown, decode: Decoder<T>, options: RequestOptions = {}): Promise<T> {
  const signal = deadline(options)
  const messages = await dialMessages(libp2p, peer, protocol, { ...options, signal })
  try {
    await messages.write(body, { signal })
    const answer = await messages.read(v => v, { signal })
    if (isErrorEnvelope(answer)) {
      throw new RemoteError(answer.error.name, answer.error.message, answer.error.kind ?? 'internal')
    }
    const value = (() => {
      try { return decode(answer) } catch (err: any) {
        throw new BadPeerMessageError(`peer sent a malformed answer on ${protocol}: ${err?.message ?? err}`)
      }
    })()
    // the answer is read: the peer's end is awaited in the background, never delaying the caller
    void messages.finish({ signal }).catch(() => { messages.abort(new Error('stream not ended')) })
    return value
  } catch (err: any) {
    messages.abort(err)
    if (signal.aborted && !isPaipError(err)) {
      throw new PeerUnavailableError(`${peer.toString()} did not answer ${protocol} in time`, { cause: err })
    }
    throw err
  }
}

export interface HandlerContext {
  connection: Connection
  remotePeer: PeerId
  signal: AbortSignal
  /** The stream, for handlers that answer with more than one message. */
  messages: MessageStream
}

export interface HandleOptions extends MessageStreamInit {
  /** Deadline for one inbound exchange (ms). */
  timeout?: number
  maxInboundStreams?: number
}

/**
 * Serves a protocol: reads one request (checked by `decode`), runs the handler and writes what
 * it returns. A handler that returns undefined has answered through `ctx.messages` itself.
 * Errors become an error envelope; a bad request never crashes the node.
 */
export async function handleRequests<Req> (libp2p: Libp2p, protocol: string, decode: Decoder<Req>, handler: (req: Req, ctx: HandlerContext) => Promise<unknown>, options: HandleOptions = {}): Promise<void> {
  await libp2p.handle(protocol, async (stream, connection) => {
    const signal = AbortSignal.timeout(options.timeout ?? RPC_TIMEOUT)
    const messages = messageStream(stream, options)
    try {
      const req = await messages.read(decode, { signal })
      const answer = await handler(req, { connection, remotePeer: connection.remotePeer, signal, messages })
      if (answer !== undefined) await messages.write(answer, { signal })
      await messages.close({ signal })
    } catch (err: any) {
      try {
        const kind = isPaipError(err) ? err.kind : 'internal'
        const message = isPaipError(err) ? err.message : 'internal error'
        await messages.write({ error: { name: err?.name ?? 'Error', message, kind } }, { signal })
        await messages.close({ signal })
      } catch {
        messages.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }
  }, { maxInboundStreams: options.maxInboundStreams ?? 64 })
}
