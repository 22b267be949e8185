import { PaipError } from '../errors.js'

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

/** The remote handler answered with an error (its name and message are carried over). */
export class RemoteError extends PaipError {
  static name = 'RemoteError'
  name = 'RemoteError'
  constructor (readonly remoteName: string, message: string, kind: PaipError['kind']) { super(message, kind) }
}

/** A peer kept its side of a stream open after ours was closed: the stream was aborted. */
export class StreamNotEndedError extends PaipError {
  static name = 'StreamNotEndedError'
  name = 'StreamNotEndedError'
  constructor (message: string) { super(message, 'unavailable') }
}
