import { PaipError } from '../errors.js'
import type { ErrorKind } from '../errors.js'

/** A peer sent something that is not a well-formed message of the protocol. */
export class BadPeerMessageError extends PaipError {
  static name = 'BadPeerMessageError'
  name = 'BadPeerMessageError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A peer's message was over the protocol's size cap. */
export class PeerMessageTooLargeError extends PaipError {
  static name = 'PeerMessageTooLargeError'
  name = 'PeerMessageTooLargeError'
  constructor (message: string) { super(message, 'too-large') }
}

/** A peer could not be reached, or did not answer in time. */
export class PeerUnavailableError extends PaipError {
  static name = 'PeerUnavailableError'
  name = 'PeerUnavailableError'
  constructor (message: string, options?: ErrorOptions) { super(message, 'unavailable', undefined, options) }
}

/**
 * What a remote peer's error kind means here. A peer names its own failure, but it must not
 * choose ours: `unauthorized` means our user's credentials are bad (a client would log in
 * again), so a peer refusing us is `forbidden`; a peer's full disk is not ours; a kind we don't
 * know is a peer we could not use.
 */
function remoteKind (kind: unknown): ErrorKind {
  switch (kind) {
    case 'invalid-input': case 'forbidden': case 'not-found': case 'conflict': case 'busy':
    case 'too-large': case 'unavailable': case 'timeout': case 'corrupt': case 'internal':
      return kind
    case 'unauthorized': return 'forbidden'
    default: return 'unavailable'
  }
}

/** The remote handler answered with an error (its name and message are carried over, its kind as `remoteKind` maps it). */
export class RemoteError extends PaipError {
  static name = 'RemoteError'
  name = 'RemoteError'
  constructor (readonly remoteName: string, message: string, kind: unknown) { super(message, remoteKind(kind)) }
}

/** A peer kept its side of a stream open after ours was closed: the stream was aborted. */
export class StreamNotEndedError extends PaipError {
  static name = 'StreamNotEndedError'
  name = 'StreamNotEndedError'
  constructor (message: string) { super(message, 'unavailable') }
}
