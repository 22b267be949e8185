import { readFile } from 'node:fs/promises'
import { createApiClient } from '../client/index.js'
import { DEFAULT_API_URL } from '../api/constants.js'
import { homePath, resolveHome } from '../node/home.js'
import type { ApiClient } from '../client/index.js'
import type { CommandContext } from './context.js'

export interface ApiTarget {
  url: string
  token?: string
  /** True when the URL is the local node's (the one whose home we read). */
  local: boolean
  home: string
}

/**
 * Which node the CLI talks to and with what token:
 * - URL: `--api`, else the URL the local daemon wrote to its home's `api` file, else
 *   http://127.0.0.1:9292;
 * - token: `$PAIP_TOKEN`, else the local node's admin token (home's `token` file) when the
 *   URL is the local node's.
 * The home is `--home`, else `$PAIP_HOME`, else `~/.paip`.
 */
export async function resolveApiTarget (ctx: Pick<CommandContext, 'globals' | 'io'>): Promise<ApiTarget> {
  const home = resolveHome({ home: ctx.globals.home, env: ctx.io.env, cwd: ctx.io.cwd })
  const written = await readTrimmed(homePath(home, 'api'))
  const localUrl = written ?? DEFAULT_API_URL
  const url = trimSlash(ctx.globals.api ?? localUrl)
  const local = sameOrigin(url, localUrl)
  const envToken = ctx.io.env.PAIP_TOKEN
  const token = envToken != null && envToken !== '' ? envToken : local ? await readTrimmed(homePath(home, 'token')) : undefined
  return { url, token, local, home }
}

/** The API client of the node a command talks to (see `resolveApiTarget`). */
export async function apiFromContext (ctx: Pick<CommandContext, 'globals' | 'io'>): Promise<ApiClient> {
  const target = await resolveApiTarget(ctx)
  return createApiClient({ url: target.url, token: target.token })
}

async function readTrimmed (path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    return text === '' ? undefined : text
  } catch {
    return undefined
  }
}

function trimSlash (url: string): string {
  return url.replace(/\/+$/, '')
}

function sameOrigin (a: string, b: string): boolean {
  try {
    const x = new URL(a)
    const y = new URL(b)
    const host = (h: string): string => h === 'localhost' || h === '[::1]' ? '127.0.0.1' : h
    return x.protocol === y.protocol && host(x.hostname) === host(y.hostname) && x.port === y.port
  } catch {
    return false
  }
}
