import { PaipError } from '../../errors.js'

/** A record whose signature, key, shape or sequence number is not acceptable. */
export class InvalidRecordError extends PaipError {
  static name = 'InvalidRecordError'
  name = 'InvalidRecordError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A valid record older (lower seq) than one already held for the same key: a replay. */
export class StaleRecordError extends PaipError {
  static name = 'StaleRecordError'
  name = 'StaleRecordError'
  constructor (message: string) { super(message, 'conflict') }
}

/** No valid record was found for a key. */
export class RecordNotFoundError extends PaipError {
  static name = 'RecordNotFoundError'
  name = 'RecordNotFoundError'
  constructor (message: string) { super(message, 'not-found') }
}

/** Peers were asked to store a record and none accepted it. */
export class RecordNotStoredError extends PaipError {
  static name = 'RecordNotStoredError'
  name = 'RecordNotStoredError'
  constructor (message: string) { super(message, 'unavailable') }
}
