import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext, resolveApiTarget } from '../../api.js'
import { basePath, entryLine } from './shared.js'
import type { CatalogEntry, EntryKind } from '../../../catalog/index.js'
import type { CommandContext } from '../../context.js'
import type { Action } from '../../program.js'
import type { Command } from 'commander'

export interface AddOptions {
  name?: string
  tags?: string
  description?: string
  license?: string
  public?: boolean
  upload?: boolean
}

/**
 * Adds a file or directory: the local node reads it from disk in place; a remote node (or
 * `--upload`) gets a single file streamed in the request body.
 */
export async function addEntry (ctx: CommandContext, kind: EntryKind, input: string, metadata: Record<string, unknown>, upload: boolean): Promise<CatalogEntry> {
  const file = path.resolve(ctx.io.cwd, input)
  const target = await resolveApiTarget(ctx)
  const api = await apiFromContext(ctx)
  if (!upload && target.local) {
    return api.post<CatalogEntry>(basePath(kind), { path: file, metadata }, { signal: ctx.signal })
  }
  const stat = await fs.stat(file).catch(() => undefined)
  if (stat == null || !stat.isFile()) {
    throw new InvalidArgumentError(`${input}: only a single regular file can be uploaded to a remote node (add a directory on its own node)`)
  }
  const response = await api.request(basePath(kind), {
    method: 'POST',
    raw: true,
    body: Readable.toWeb(createReadStream(file)),
    headers: { 'content-type': 'application/octet-stream' },
    query: { metadata: JSON.stringify(metadata), filename: path.basename(file) },
    signal: ctx.signal
  })
  return await response.json() as CatalogEntry
}

/** The metadata options both kinds share. */
export function commonOptions (command: Command): Command {
  return command
    .requiredOption('--name <name>', 'name of the entry (letters, digits, . _ -)')
    .option('--tags <tags>', "comma-separated tags, e.g. '#MNIST,#digits' (stored in lower case)")
    .option('--description <text>', 'what it is')
    .option('--license <license>', 'licence, e.g. CC-BY-4.0')
    .option('--public', 'other nodes may fetch its files (default: they never leave this node)', false)
    .option('--upload', 'stream the file in the request body instead of letting the node read it from disk', false)
}

export function commonMetadata (options: AddOptions): Record<string, unknown> {
  return {
    name: options.name,
    tags: options.tags == null ? [] : options.tags.split(/[,\s]+/).filter(t => t !== ''),
    description: options.description,
    license: options.license,
    public: options.public === true
  }
}

export function registerAdd (group: Command, action: Action): void {
  commonOptions(group.command('add')
    .argument('<path>', 'a file or a directory tree')
    .description('register a dataset: copy its files into the node\'s blob store and announce its tags'))
    .option('--format <format>', 'file format of the data, e.g. csv, parquet, png')
    .addHelpText('after', "\nExample:\n  $ paip datasets add ./mnist --name mnist --tags '#MNIST,#digits' --license CC-BY-4.0 --format idx --public")
    .action(action(async (ctx, input: string, options: AddOptions & { format?: string }) => {
      const entry = await addEntry(ctx, 'dataset', input, { ...commonMetadata(options), format: options.format }, options.upload === true)
      return { data: entry, text: [`added ${entryLine(entry)}`, `manifest ${entry.manifest}`] }
    }))
}
