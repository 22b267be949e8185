import { userInfo } from 'node:os'
import { createApiClient } from '../../../api/client.js'
import { InvalidArgumentError } from '../../../errors.js'
import { checkMarketplaceName, readMarketplaces, writeMarketplaces } from './store.js'
import type { Action } from '../../program.js'
import type { Command } from 'commander'

export function registerLogin (program: Command, action: Action): void {
  program.command('login')
    .argument('<marketplace>', 'a marketplace added with `paip marketplace add`')
    .option('-u, --user <name>', 'the user name (default: $PAIP_USER or the OS user)')
    .description('log in to a marketplace: asks for the password without echo and stores the token (mode 0600)')
    .addHelpText('after', '\nExample:\n  $ paip login lab --user alice')
    .action(action(async (ctx, name: string, options: { user?: string }) => {
      checkMarketplaceName(name)
      const file = await readMarketplaces(ctx)
      const entry = file.marketplaces[name]
      if (entry == null) throw new InvalidArgumentError(`no marketplace "${name}": add it with \`paip marketplace add ${name} <url>\``)
      const user = options.user ?? ctx.io.env.PAIP_USER ?? userInfo().username
      if (ctx.io.readSecret == null) throw new InvalidArgumentError('a password can only be read from a terminal')
      const password = await ctx.io.readSecret(`Password for ${user} at ${name}: `)
      const answer = await createApiClient({ url: entry.url }).post<{ token: string, expires: string }>(`/repo/auth/${encodeURIComponent(user)}`, { password }, { signal: ctx.signal })
      file.marketplaces[name] = { ...entry, user, token: answer.token, expires: answer.expires }
      await writeMarketplaces(ctx, file)
      return { data: { marketplace: name, user, expires: answer.expires }, text: `logged in to ${name} as ${user} (until ${answer.expires})` }
    }))
}
