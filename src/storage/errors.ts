import { PaipError } from '../errors.js'

/** Stored or received bytes do not hash to the CID they were asked for. */
export class BlobCorruptError extends PaipError {
  static name = 'BlobCorruptError'
  name = 'BlobCorruptError'
  constructor (message: string, details?: unknown) { super(message, 'corrupt', details) }
}

/** No blob with that CID in the store. */
export class BlobNotFoundError extends PaipError {
  static name = 'BlobNotFoundError'
  name = 'BlobNotFoundError'
  constructor (message: string, details?: unknown) { super(message, 'not-found', details) }
}

/** A CID that is not a valid raw sha2-256 CID, or a range outside the blob. */
export class InvalidBlobRequestError extends PaipError {
  static name = 'InvalidBlobRequestError'
  name = 'InvalidBlobRequestError'
  constructor (message: string, details?: unknown) { super(message, 'invalid-input', details) }
}

/** A write gave more bytes than allowed, or a size that did not match the expected one. */
export class BlobTooLargeError extends PaipError {
  static name = 'BlobTooLargeError'
  name = 'BlobTooLargeError'
  constructor (message: string, details?: unknown) { super(message, 'too-large', details) }
}
