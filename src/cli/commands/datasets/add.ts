import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { PathNotFoundError, SpecialFileError } from '../../../catalog/errors.js'
import { walkTree } from '../../../catalog/manifest.js'
import { apiFromContext, resolveApiTarget } from '../../api.js'
import { progressBar } from './progress.js'
import { basePath, entryLine } from './shared.js'
import type { ProgressBar } from './progress.js'
import type { CatalogEntry, EntryKind } from '../../../catalog/index.js'
import type { Action, CommandContext } from '../../context.js'
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
 * `--upload`) gets a single file streamed in the request body, or a directory as a tar stream
 * of its files (with a progress bar on a terminal).
 */
export async function addEntry (ctx: CommandContext, kind: EntryKind, input: string, metadata: Record<string, unknown>, upload: boolean): Promise<CatalogEntry> {
  const file = path.resolve(ctx.io.cwd, input)
  const target = await resolveApiTarget(ctx)
  const api = await apiFromContext(ctx)
  if (!upload && target.local) {
    return api.post<CatalogEntry>(basePath(kind), { path: file, metadata }, { signal: ctx.signal })
  }
  const stat = await fs.stat(file).catch(() => undefined)
  if (stat == null) throw new PathNotFoundError(input)
  if (!stat.isFile() && !stat.isDirectory()) throw new SpecialFileError(input)
  const bar = ctx.io.isTTY && !ctx.globals.json ? progressBar(ctx.io.stderr) : undefined
  const body = stat.isFile()
    ? counted(createReadStream(file), stat.size, bar)
    : await tarOf(file, bar, ctx.signal)
  try {
    const response = await api.request(basePath(kind), {
      method: 'POST',
      raw: true,
      body: Readable.toWeb(body),
      headers: { 'content-type': stat.isFile() ? 'application/octet-stream' : 'application/x-tar' },
      query: { metadata: JSON.stringify(metadata), filename: stat.isFile() ? path.basename(file) : undefined },
      signal: ctx.signal
    })
    return await response.json() as CatalogEntry
  } finally {
    body.destroy()
    bar?.done()
  }
}

/** Passes a stream through, telling the bar how many of `total` bytes went by. */
function counted (source: Readable, total: number, bar: ProgressBar | undefined): Readable {
  let sent = 0
  return source.on('data', (chunk: Buffer) => { sent += chunk.byteLength; bar?.update(sent, total) })
}

/**
 * A tar stream of the regular files under `dir` (symlinks inside the tree followed, others
 * refused: the same walk as a local add), packed one file after another as it is read.
 */
async function tarOf (dir: string, bar: ProgressBar | undefined, signal: AbortSignal): Promise<Readable> {
  const files = await walkTree(dir, { signal })
  const sizes = await Promise.all(files.map(async f => (await fs.stat(f.abs)).size))
  const total = sizes.reduce((a, b) => a + b, 0)
  const pack = tar.pack()
  let sent = 0
  void (async () => {
    for (const [i, f] of files.entries()) {
      const entry = pack.entry({ name: f.rel, size: sizes[i], mode: 0o644, type: 'file' })
      await pipeline(createReadStream(f.abs), new Transform({
        transform (chunk: Buffer, _encoding, done) { sent += chunk.byteLength; bar?.update(sent, total); done(null, chunk) }
      }), entry)
    }
    pack.finalize()
  })().catch(err => { pack.destroy(err) })
  return Readable.from(pack as AsyncIterable<Buffer>)
}

/** The metadata options both kinds share. */
export function commonOptions (command: Command): Command {
  return command
    .requiredOption('--name <name>', 'name of the entry (letters, digits, . _ -)')
    .option('--tags <tags>', "comma-separated tags, e.g. '#MNIST,#digits' (stored in lower case)")
    .option('--description <text>', 'what it is')
    .option('--license <license>', 'licence, e.g. CC-BY-4.0')
    .option('--public', 'other nodes may fetch its files (default: they never leave this node)', false)
    .option('--upload', 'stream the file (or the directory, as tar) in the request body instead of letting the node read it from disk; always so with --api <another node>', false)
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
