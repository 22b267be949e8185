import { checkMarketplaceName, checkUrl, readMarketplaces, writeMarketplaces } from './store.js'
import { InvalidArgumentError, NotFoundError } from '../../../errors.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

export function registerMarketplace (program: Command, action: Action): void {
  const group = program.command('marketplace').description('the marketplaces this user pushes to, pulls from and searches (stored in ~/.config/paip/marketplaces.json, mode 0600)')

  group.command('add')
    .argument('<name>', 'a short name for it')
    .argument('<url>', 'the HTTP API of a paip node, e.g. http://host:9292')
    .description('remember a marketplace (a node\'s HTTP API) under a name')
    .addHelpText('after', '\nExample:\n  $ paip marketplace add lab http://10.0.0.5:9292')
    .action(action(async (ctx, name: string, url: string) => {
      checkMarketplaceName(name)
      const file = await readMarketplaces(ctx)
      if (file.marketplaces[name] != null) throw new InvalidArgumentError(`marketplace "${name}" exists already: remove it first`)
      file.marketplaces[name] = { url: checkUrl(url) }
      await writeMarketplaces(ctx, file)
      return { data: { name, url: file.marketplaces[name].url }, text: `added ${name} ${file.marketplaces[name].url}` }
    }))

  group.command('list')
    .description('list the marketplaces and whether a login token is stored')
    .addHelpText('after', '\nExample:\n  $ paip marketplace list --json')
    .action(action(async ctx => {
      const file = await readMarketplaces(ctx)
      const rows = Object.entries(file.marketplaces).map(([name, m]) => ({
        name, url: m.url, user: m.user, loggedIn: m.token != null && (m.expires == null || Date.parse(m.expires) > Date.now()), expires: m.expires
      }))
      return {
        data: { marketplaces: rows },
        text: rows.length === 0 ? ['no marketplaces: add one with `paip marketplace add <name> <url>`'] : rows.map(r => `${r.name}\t${r.url}\t${r.loggedIn ? `logged in as ${r.user ?? '?'}` : 'not logged in'}`)
      }
    }))

  group.command('remove')
    .argument('<name>', 'the marketplace to forget (with its token)')
    .description('forget a marketplace and its login token')
    .addHelpText('after', '\nExample:\n  $ paip marketplace remove lab')
    .action(action(async (ctx, name: string) => {
      const file = await readMarketplaces(ctx)
      if (file.marketplaces[name] == null) throw new NotFoundError(`no marketplace "${name}"`)
      delete file.marketplaces[name]
      await writeMarketplaces(ctx, file)
      return { data: { removed: name }, text: `removed ${name}` }
    }))
}
