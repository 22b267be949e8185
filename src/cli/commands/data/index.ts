import { createReadStream, createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import type { ApiClient } from '../../../client/index.js'
import type { DataEntry, DataListing } from '../../../data/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

/** `data://u/c/p` → `/api/v1/data/u/c/p` (each segment URL-encoded). */
export function dataUrl (dataPath: string): string {
  if (!dataPath.startsWith('data://')) throw new InvalidArgumentError(`not a data path: ${dataPath} (expected data://<user>/<collection>/<path>, .my for yourself)`)
  const rest = dataPath.slice('data://'.length).replace(/\/+$/, '')
  return '/api/v1/data/' + rest.split('/').map(s => encodeURIComponent(s)).join('/')
}

/** Streams a local file to a data path on a node. */
export async function putFile (api: ApiClient, file: string, dataPath: string, signal: AbortSignal): Promise<DataEntry> {
  const stat = await fs.stat(file).catch(() => undefined)
  if (stat == null || !stat.isFile()) throw new InvalidArgumentError(`${file}: not a file`)
  const response = await api.request(dataUrl(dataPath), {
    method: 'PUT',
    raw: true,
    body: Readable.toWeb(createReadStream(file)),
    headers: { 'content-type': 'application/octet-stream' },
    query: { size: stat.size },
    signal
  })
  return await response.json() as DataEntry
}

function sizeText (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = -1
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(1)} ${units[u]}`
}

/** `paip data put|get|ls|rm`. */
export function register (program: Command, action: Action): void {
  const group = program.command('data')
    .description('your data space on a node: files at data://<user>/<collection>/<path> (.my: yourself)')
    .addHelpText('after', '\nExample:\n  $ paip data put model.pkl data://.my/models/model.pkl\n  $ paip data ls data://.my/models')

  group.command('put')
    .argument('<file>', 'a local file')
    .argument('<data-path>', 'where to store it: data://.my/<collection>/<path> (ending in / keeps the file name)')
    .description('store a file in a data space (verified by its CID)')
    .action(action(async (ctx, file: string, dataPath: string) => {
      const local = path.resolve(ctx.io.cwd, file)
      const dest = dataPath.endsWith('/') ? dataPath + path.basename(local) : dataPath
      const entry = await putFile(await apiFromContext(ctx), local, dest, ctx.signal)
      return { data: entry, text: `stored ${entry.path} (${sizeText(entry.size)}, ${entry.cid})` }
    }))

  group.command('get')
    .argument('<data-path>', 'data://<user>/<collection>/<path>')
    .argument('[file]', 'where to write it (default: its name in the current directory; - for stdout)')
    .description('copy a file out of a data space')
    .action(action(async (ctx, dataPath: string, file?: string) => {
      const api = await apiFromContext(ctx)
      const response = await api.request(dataUrl(dataPath), { headers: { accept: 'application/octet-stream' }, signal: ctx.signal })
      if (!String(response.headers.get('content-type')).startsWith('application/octet-stream')) {
        await response.body?.cancel()
        throw new InvalidArgumentError(`${dataPath} is a folder: list it with paip data ls`)
      }
      if (file === '-') {
        let text = ''
        const decoder = new TextDecoder()
        for await (const chunk of response.body as any as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true })
        ctx.io.stdout(text + decoder.decode())
        return undefined
      }
      const out = path.resolve(ctx.io.cwd, file ?? path.basename(dataPath))
      await pipeline(Readable.fromWeb(response.body as any), createWriteStream(out), { signal: ctx.signal })
      const entry = { path: dataPath, file: out, cid: response.headers.get('x-paip-cid'), size: (await fs.stat(out)).size }
      return { data: entry, text: `wrote ${out} (${sizeText(entry.size)})` }
    }))

  group.command('ls')
    .argument('[data-path]', 'a user space, collection or folder', 'data://.my')
    .description('list files (and, for a whole user space, its collections)')
    .action(action(async (ctx, dataPath: string) => {
      const api = await apiFromContext(ctx)
      const listing = await api.get<DataListing>(dataUrl(dataPath), { query: { list: 1 }, signal: ctx.signal })
      const lines = listing.files.map(f => `${f.path}  ${sizeText(f.size)}  ${f.cid}`)
      if (lines.length === 0) lines.push(`nothing under ${listing.path}`)
      if (listing.truncated) lines.push('(more files not shown)')
      return { data: listing, text: lines }
    }))

  group.command('rm')
    .argument('<data-path>', 'a file, or a collection or folder with --recursive')
    .option('-r, --recursive', 'delete everything under a collection or folder', false)
    .description('delete files from a data space')
    .action(action(async (ctx, dataPath: string, options: { recursive: boolean }) => {
      const api = await apiFromContext(ctx)
      const answer = await api.delete<{ deleted: DataEntry[] }>(dataUrl(dataPath), undefined, { query: { recursive: options.recursive ? 1 : undefined }, signal: ctx.signal })
      return { data: answer, text: answer.deleted.map(e => `deleted ${e.path}`) }
    }))
}
