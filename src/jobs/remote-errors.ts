import { RemoteError } from '../net/errors.js'
import * as E from './errors.js'

const KNOWN: Record<string, new (message: string) => Error> = {
  InvalidJobError: E.InvalidJobError,
  JobProtocolInvalidError: E.JobProtocolInvalidError,
  JobNotAllowedError: E.JobNotAllowedError,
  DatasetNotHeldError: E.DatasetNotHeldError,
  JobConflictError: E.JobConflictError
}

/** A job error raised on another node comes back under its own name (JobNotFoundError too). */
export function localError (err: unknown): unknown {
  if (!(err instanceof RemoteError)) return err
  if (err.remoteName === 'JobNotFoundError') {
    const e = new E.JobNotFoundError('')
    e.message = err.message
    return e
  }
  const Known = KNOWN[err.remoteName]
  return Known == null ? err : new Known(err.message)
}

export async function mapRemote<T> (work: Promise<T>): Promise<T> {
  try { return await work } catch (err) { throw localError(err) }
}
