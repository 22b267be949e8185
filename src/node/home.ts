import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** Default node home, under the user's home directory. */
export const DEFAULT_HOME_NAME = '.paip'

/** The files and folders of a node home. */
export const HOME_FILES = {
  config: 'config.yaml',
  identity: 'identity.key',
  token: 'token',
  api: 'api',
  lock: 'daemon.lock',
  db: 'db',
  blobs: 'blobs'
} as const

/**
 * The node home: `--home`, else `$PAIP_HOME`, else `~/.paip`, resolved against `cwd`.
 */
export function resolveHome (options: { home?: string, env?: Record<string, string | undefined>, cwd?: string } = {}): string {
  const env = options.env ?? {}
  const chosen = options.home ?? nonEmpty(env.PAIP_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), DEFAULT_HOME_NAME)
  return resolve(options.cwd ?? process.cwd(), chosen)
}

export function homePath (home: string, file: keyof typeof HOME_FILES): string {
  return join(home, HOME_FILES[file])
}

function nonEmpty (value: string | undefined): string | undefined {
  return value == null || value === '' ? undefined : value
}
