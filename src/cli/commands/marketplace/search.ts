import { InvalidArgumentError } from '../../../errors.js'
import { ndjsonLines, NDJSON_TYPE } from '../../../ndjson.js'
import { marketClient, readMarketplaces } from './store.js'
import type { Action, CommandContext } from '../../context.js'
import type { Command } from 'commander'

interface Hit { publisher: string, name: string, version: string, versions: number, description: string, nodes: number, matched: number, exact?: number, time: number, user: string, file: string }

function line (h: Hit): string {
  // one table row per hit: the description's first line that says something, cut to fit
  const first = h.description.split('\n').map(l => l.replace(/^#+\s*/, '').trim()).find(l => l !== '') ?? ''
  const desc = first.length > 60 ? first.slice(0, 57) + '...' : first
  return `${h.name}\t${h.user ?? 'admin'}\t${h.publisher}\tv${h.versions} ${h.version.slice(-12)}\t${h.nodes} node(s)\t${desc}`
}

export function registerSearch (program: Command, action: Action): void {
  program.command('search')
    .argument('<keywords...>', 'keywords (lower-cased; a protocol matches on its name, description, tags and images); a first word that names a marketplace added with `paip marketplace add` picks that marketplace')
    .option('--marketplace <name>', 'search through this marketplace (default: the local node)')
    .option('--timeout <ms>', 'stop waiting for answers after this long', '3000')
    .option('--limit <n>', 'show at most this many results')
    .description('search the whole network for published protocols; results print as they arrive, then ranked')
    .addHelpText('after', '\nExamples:\n  $ paip search mnist pytorch --json\n  $ paip search home mnist          # through the marketplace named home')
    .action(action(async (ctx, keywords: string[], options: { marketplace?: string, timeout: string, limit?: string }) => {
      const timeout = Number(options.timeout)
      if (!Number.isSafeInteger(timeout) || timeout < 1) throw new InvalidArgumentError('--timeout must be a positive number of milliseconds')
      const marketplace = options.marketplace ?? await marketplaceWord(ctx, keywords)
      if (marketplace != null && options.marketplace == null) {
        keywords = keywords.slice(1)
        if (!ctx.globals.json) ctx.io.stderr(`searching through marketplace ${marketplace} for: ${keywords.join(' ')}\n`)
      }
      const client = await marketClient(ctx, marketplace)
      const path = `/repo/search/${encodeURIComponent(keywords.join(' '))}`
      const response = await client.request(path, { headers: { accept: NDJSON_TYPE }, query: { timeout }, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout + 5000)]) })
      const latest = new Map<string, Hit>()
      const onLine = (value: any): void => {
        if (value.error != null) throw new InvalidArgumentError(String(value.error.message))
        const hit = value.hit as Hit | undefined
        if (hit == null) return
        const key = `${hit.publisher}/${hit.name}`
        if (!latest.has(key) && !ctx.globals.json) ctx.io.stderr(`found ${line(hit)}\n`)
        latest.set(key, hit)
      }
      for await (const value of ndjsonLines(response.body as any as AsyncIterable<Uint8Array>)) onLine(value)
      const words = keywords.join(' ').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)
      const all = (h: Hit): number => h.matched >= words.length ? 1 : 0
      let results = [...latest.values()].sort((a, b) => all(b) - all(a) || b.matched - a.matched || (b.exact ?? 0) - (a.exact ?? 0) || b.nodes - a.nodes || b.time - a.time)
      if (options.limit != null) results = results.slice(0, Math.max(1, Number(options.limit) || 1))
      return {
        data: { marketplace, keywords, results },
        text: results.length === 0 ? ['no results'] : ['NAME\tPUBLISHER\tLATEST\tHELD BY\tDESCRIPTION', ...results.map(line)]
      }
    }))
}

/**
 * Seed 000's form `paip search <marketplace> <keywords...>`: the first word when it names a
 * configured marketplace and more words follow (a lone word is always a keyword).
 */
async function marketplaceWord (ctx: CommandContext, keywords: string[]): Promise<string | undefined> {
  if (keywords.length < 2) return undefined
  const { marketplaces } = await readMarketplaces(ctx)
  return Object.hasOwn(marketplaces, keywords[0]) ? keywords[0] : undefined
}
