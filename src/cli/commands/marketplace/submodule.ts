/**
 * Submodules: a directory of the local repository that is itself a paip repository tracking
 * one publisher's protocols. Recorded in `paip-submodules.json` at the repository root;
 * `paip pull` with no argument updates every submodule.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError, NotFoundError } from '../../../errors.js'
import { findRepositoryRoot, initRepository, isRepoPath } from '../../../repo/index.js'
import { pullInto } from './pulling.js'
import { getMarketplace, marketClient } from './store.js'
import type { Action, CommandContext } from '../../context.js'
import type { Command } from 'commander'

export const SUBMODULES_FILE = 'paip-submodules.json'

export interface Submodule {
  /** Repository path of the submodule's directory. */
  path: string
  /** The publisher's peer ID. */
  publisher: string
  /** The marketplace to pull through (default: the local node). */
  marketplace?: string
}

export async function readSubmodules (root: string): Promise<Submodule[]> {
  try {
    const value = JSON.parse(await readFile(join(root, SUBMODULES_FILE), 'utf8'))
    return Array.isArray(value?.submodules) ? value.submodules.filter((s: any) => isRepoPath(s?.path) && typeof s?.publisher === 'string') : []
  } catch (err: any) {
    if (err?.code === 'ENOENT') return []
    throw new InvalidArgumentError(`cannot read ${SUBMODULES_FILE}: ${err.message}`)
  }
}

async function writeSubmodules (root: string, list: Submodule[]): Promise<void> {
  const path = join(root, SUBMODULES_FILE)
  await writeFile(`${path}.tmp`, JSON.stringify({ submodules: list }, null, 2) + '\n')
  await rename(`${path}.tmp`, path)
}

/** Pulls every protocol of every submodule's publisher into its directory. */
export async function updateSubmodules (ctx: CommandContext, cwd: string): Promise<Array<{ path: string, pulled: string[], failed: string[] }>> {
  const root = await findRepositoryRoot(cwd)
  const list = await readSubmodules(root)
  if (list.length === 0) throw new NotFoundError(`no submodules in ${root}: give a protocol to pull, or add one with \`paip submodule add\``)
  const out = []
  for (const sub of list) {
    const client = await marketClient(ctx, sub.marketplace, true)
    const listing = await client.get<{ entries: Array<{ name: string }> }>(`/api/v1/marketplace/publishers/${encodeURIComponent(sub.publisher)}`, { signal: ctx.signal })
    const pulled: string[] = []
    const failed: string[] = []
    for (const entry of listing.entries) {
      try {
        await pullInto(ctx, client, `${sub.publisher}/${entry.name}`, { dir: join(root, sub.path), force: true })
        pulled.push(entry.name)
      } catch {
        failed.push(entry.name)
      }
    }
    out.push({ path: sub.path, pulled, failed })
  }
  return out
}

async function publisherOf (ctx: CommandContext, source: string, via: string | undefined): Promise<{ publisher: string, marketplace?: string }> {
  try {
    return { publisher: peerIdFromString(source).toString(), marketplace: via }
  } catch {}
  const entry = await getMarketplace(ctx, source).catch(() => undefined)
  if (entry == null) throw new InvalidArgumentError(`${source} is neither a publisher's peer ID nor a marketplace added with \`paip marketplace add\``)
  const client = await marketClient(ctx, source)
  const id = await client.get<{ peerId: string }>('/api/v1/id', { signal: ctx.signal })
  return { publisher: id.peerId, marketplace: source }
}

export function registerSubmodule (program: Command, action: Action): void {
  const group = program.command('submodule').description('directories of the repository that track another publisher\'s protocols')
  group.command('add')
    .argument('<source>', 'a publisher\'s peer ID, or a marketplace (its node is the publisher)')
    .argument('[dir]', 'the directory (default: the marketplace name or the peer ID\'s last 8 characters)')
    .option('--marketplace <name>', 'pull through this marketplace (default: the local node, or <source> when it is one)')
    .option('-C, --dir <dir>', 'run as if paip was started in <dir>')
    .description('track a publisher\'s protocols in a directory; `paip pull` (no argument) updates it')
    .addHelpText('after', '\nExample:\n  $ paip submodule add lab vendor/lab && paip pull')
    .action(action(async (ctx, source: string, dir: string | undefined, options: { marketplace?: string, dir?: string }) => {
      const cwd = resolve(ctx.io.cwd, options.dir ?? '.')
      const root = await findRepositoryRoot(cwd)
      const { publisher, marketplace } = await publisherOf(ctx, source, options.marketplace)
      const path = relative(root, resolve(cwd, dir ?? (marketplace ?? publisher.slice(-8)))).split('\\').join('/')
      if (!isRepoPath(path)) throw new InvalidArgumentError(`${dir ?? path} is not a directory inside the repository`)
      const list = await readSubmodules(root)
      if (list.some(s => s.path === path)) throw new InvalidArgumentError(`${path} is a submodule already`)
      await (await initRepository(join(root, path))).close()
      list.push({ path, publisher, ...(marketplace == null ? {} : { marketplace }) })
      await writeSubmodules(root, list)
      return { data: { path, publisher, marketplace }, text: `${path} tracks ${publisher}${marketplace == null ? '' : ` through ${marketplace}`}: run \`paip pull\` to update it` }
    }))
  group.command('list')
    .option('-C, --dir <dir>', 'run as if paip was started in <dir>')
    .description('list the submodules')
    .action(action(async (ctx, options: { dir?: string }) => {
      const root = await findRepositoryRoot(resolve(ctx.io.cwd, options.dir ?? '.'))
      const list = await readSubmodules(root)
      return { data: { submodules: list }, text: list.length === 0 ? ['no submodules'] : list.map(s => `${s.path}\t${s.publisher}\t${s.marketplace ?? '(local node)'}`) }
    }))
}
