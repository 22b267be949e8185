import { isPaipError } from '../errors.js'
import type { ErrorKind } from '../errors.js'

/** The one place errors become exit codes (documented in the README). */
const EXIT_CODES: Record<ErrorKind, number> = {
  'invalid-input': 2,
  'too-large': 2,
  unauthorized: 3,
  forbidden: 3,
  'not-found': 4,
  conflict: 5,
  busy: 6,
  unavailable: 7,
  timeout: 7,
  corrupt: 8,
  'no-space': 1,
  internal: 1
}

export function exitCodeFor (err: unknown): number {
  if (isPaipError(err)) return EXIT_CODES[err.kind] ?? 1
  if ((err as any)?.code?.startsWith?.('commander.')) return 2
  return 1
}
