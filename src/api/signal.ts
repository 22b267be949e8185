import type { FastifyReply, FastifyRequest } from 'fastify'

export interface RequestSignalOptions {
  /** Aborted when the node stops. */
  shutdown: AbortSignal
  /** A deadline for the work (ms); none when not given. */
  timeout?: number
}

/**
 * The signal of the work one API request starts. The rule, the same for every route: it is
 * aborted when the client goes away (the request closes before its body was read whole, or
 * the connection closes before the answer was written whole), when the node stops, or when
 * the deadline passes.
 */
export function requestSignal (request: FastifyRequest, reply: FastifyReply, options: RequestSignalOptions): AbortSignal {
  const closed = new AbortController()
  const gone = (): void => { closed.abort(new Error('the client went away')) }
  request.raw.once('close', () => { if (!request.raw.complete) gone() })
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone() })
  const signals = [closed.signal, options.shutdown]
  if (options.timeout != null) signals.push(AbortSignal.timeout(options.timeout))
  return AbortSignal.any(signals)
}
