import { PaipError } from '../errors.js'
import type { Problem } from '../protocol/index.js'

/** A pushed protocol file failed validation; `details.problems` lists the errors. */
export class ProtocolInvalidError extends PaipError {
  static name = 'ProtocolInvalidError'
  name = 'ProtocolInvalidError'
  constructor (file: string, readonly problems: Problem[]) {
    super(`${file}: ${problems.length} problem(s) in protocol: ${problems.map(p => `${p.path} ${p.message}`).join('; ').slice(0, 500)}`, 'invalid-input', { file, problems })
  }
}

/** A protocol or file name that could escape its directory or is not allowed. */
export class InvalidNameError extends PaipError {
  static name = 'InvalidNameError'
  name = 'InvalidNameError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** Bytes received for a CID do not hash to it. */
export class ContentMismatchError extends PaipError {
  static name = 'ContentMismatchError'
  name = 'ContentMismatchError'
  constructor (cid: string) { super(`received bytes do not match ${cid}`, 'corrupt', { cid }) }
}

/** No provider could give the content of a CID. */
export class ContentUnavailableError extends PaipError {
  static name = 'ContentUnavailableError'
  name = 'ContentUnavailableError'
  constructor (cid: string, tried: number) { super(`no provider served ${cid} (${tried} tried)`, 'unavailable', { cid, tried }) }
}

/** Nothing published under a name (or publisher/name). */
export class ProtocolNotFoundError extends PaipError {
  static name = 'ProtocolNotFoundError'
  name = 'ProtocolNotFoundError'
  constructor (what: string) { super(`no published protocol ${what}`, 'not-found', { what }) }
}

/** A bare name published by several publishers: say which one (`publisher/name`). */
export class AmbiguousNameError extends PaipError {
  static name = 'AmbiguousNameError'
  name = 'AmbiguousNameError'
  constructor (name: string, readonly publishers: string[], readonly refs?: string[]) {
    super(refs != null && refs.length > 1
      ? `"${name}" names ${refs.length} protocols: pull one of ${refs.slice(0, 10).join(', ')}`
      : `"${name}" is published by ${publishers.length} publishers: pull <publisher>/${name}`, 'conflict', { name, publishers, ...(refs == null ? {} : { refs }) })
  }
}

/** An object held locally or received is not a well-formed version object. */
export class BadObjectError extends PaipError {
  static name = 'BadObjectError'
  name = 'BadObjectError'
  constructor (message: string) { super(message, 'corrupt') }
}
