import { defaultLogger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

export type { ComponentLogger, Logger }

/** The logger every component uses when none is passed in: `DEBUG=paip:*` enables it. */
export function paipLogger (): ComponentLogger {
  return defaultLogger()
}
