/**
 * The user's marketplaces and credentials: `marketplaces.json` (mode 0600) in the config
 * directory: `$PAIP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/paip`, else `~/.config/paip`.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApiClient } from '../../../client/index.js'
import { InvalidArgumentError, NotFoundError, PaipError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import type { ApiClient } from '../../../client/index.js'
import type { CommandContext } from '../../context.js'

export interface MarketplaceEntry {
  url: string
  user?: string
  token?: string
  /** ISO time the token expires. */
  expires?: string
}

export interface MarketplacesFile { marketplaces: Record<string, MarketplaceEntry> }

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Pushing to a marketplace the user has not logged in to. */
export class NotLoggedInError extends PaipError {
  static name = 'NotLoggedInError'
  name = 'NotLoggedInError'
  constructor (name: string) { super(`not logged in to "${name}": run \`paip login ${name}\` first`, 'unauthorized', { marketplace: name }) }
}

export function configDir (ctx: Pick<CommandContext, 'io'>): string {
  const env = ctx.io.env
  const nonEmpty = (v: string | undefined): string | undefined => v == null || v === '' ? undefined : v
  const dir = nonEmpty(env.PAIP_CONFIG_DIR) ?? join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.config'), 'paip')
  return resolve(ctx.io.cwd, dir)
}

export function checkMarketplaceName (name: string): string {
  if (!NAME.test(name)) throw new InvalidArgumentError(`bad marketplace name "${name}": letters, digits, ".", "_", "-"`)
  return name
}

export function checkUrl (url: string): string {
  let parsed: URL
  try { parsed = new URL(url) } catch { throw new InvalidArgumentError(`not a URL: ${url}`) }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidArgumentError(`a marketplace URL is a node's HTTP API (http:// or https://): ${url}`)
  return parsed.toString().replace(/\/+$/, '')
}

export async function readMarketplaces (ctx: Pick<CommandContext, 'io'>): Promise<MarketplacesFile> {
  try {
    const value = JSON.parse(await readFile(join(configDir(ctx), 'marketplaces.json'), 'utf8'))
    if (value?.marketplaces == null || typeof value.marketplaces !== 'object') return { marketplaces: {} }
    return value
  } catch (err: any) {
    if (err?.code === 'ENOENT') return { marketplaces: {} }
    throw new InvalidArgumentError(`cannot read ${join(configDir(ctx), 'marketplaces.json')}: ${err.message}`)
  }
}

/** Writes the file with mode 0600 (temp file, then rename). */
export async function writeMarketplaces (ctx: Pick<CommandContext, 'io'>, file: MarketplacesFile): Promise<void> {
  const dir = configDir(ctx)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, 'marketplaces.json')
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  await chmod(temp, 0o600)
  await rename(temp, path)
}

export async function getMarketplace (ctx: Pick<CommandContext, 'io'>, name: string): Promise<MarketplaceEntry> {
  const entry = (await readMarketplaces(ctx)).marketplaces[name]
  if (entry == null) throw new NotFoundError(`no marketplace "${name}": add it with \`paip marketplace add ${name} <url>\``)
  return entry
}

/**
 * The API client of a named marketplace (with its stored token), or of the local node when no
 * name is given. `write` insists on a token for a named marketplace.
 */
export async function marketClient (ctx: CommandContext, name: string | undefined, write = false): Promise<ApiClient> {
  if (name == null) return await apiFromContext(ctx)
  const entry = await getMarketplace(ctx, checkMarketplaceName(name))
  const expired = entry.expires != null && Date.parse(entry.expires) <= Date.now()
  if (write && (entry.token == null || expired)) throw new NotLoggedInError(name)
  return createApiClient({ url: entry.url, token: expired ? undefined : entry.token })
}
