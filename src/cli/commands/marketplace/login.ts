import { userInfo } from 'node:os'
import { createApiClient } from '../../../client/index.js'
import { ApiError } from '../../../api/errors.js'
import { InvalidArgumentError } from '../../../errors.js'
import { NoTerminalError } from '../../terminal.js'
import { apiFromContext } from '../../api.js'
import { checkMarketplaceName, getMarketplace, NotLoggedInError, readMarketplaces, writeMarketplaces } from './store.js'
import type { ApiClient } from '../../../client/index.js'
import type { Action, CommandContext } from '../../context.js'
import type { Command } from 'commander'

interface LoginOptions { user?: string, passwordStdin?: boolean }

/** The password: piped in (`--password-stdin`, one trailing newline dropped) or typed without echo. */
async function readPassword (ctx: CommandContext, options: LoginOptions, prompt: string): Promise<string> {
  if (options.passwordStdin === true) {
    if (ctx.io.readStdin == null) throw new InvalidArgumentError('this program has no standard input to read the password from')
    const password = (await ctx.io.readStdin(ctx.signal)).replace(/\r?\n$/, '')
    if (password === '') throw new InvalidArgumentError('no password on standard input')
    return password
  }
  if (ctx.io.readSecret == null) throw new NoTerminalError()
  return await ctx.io.readSecret(prompt, ctx.signal)
}

export function registerLogin (program: Command, action: Action): void {
  program.command('login')
    .argument('<marketplace>', 'a marketplace added with `paip marketplace add`')
    .option('-u, --user <name>', 'the user name (default: $PAIP_USER or the OS user)')
    .option('--password-stdin', 'read the password from standard input (for scripts), not the terminal')
    .description('log in to a marketplace: asks for the password without echo and stores the token (mode 0600)')
    .addHelpText('after', '\nExamples:\n  $ paip login lab --user alice\n  $ printf %s "$PASSWORD" | paip login lab --user alice --password-stdin')
    .action(action(async (ctx, name: string, options: LoginOptions) => {
      checkMarketplaceName(name)
      const file = await readMarketplaces(ctx)
      const entry = file.marketplaces[name]
      if (entry == null) throw new InvalidArgumentError(`no marketplace "${name}": add it with \`paip marketplace add ${name} <url>\``)
      const user = options.user ?? ctx.io.env.PAIP_USER ?? userInfo().username
      const password = await readPassword(ctx, options, `Password for ${user} at ${name}: `)
      const answer = await createApiClient({ url: entry.url }).post<{ token: string, expires: string }>(`/repo/auth/${encodeURIComponent(user)}`, { password }, { signal: ctx.signal })
      file.marketplaces[name] = { ...entry, user, token: answer.token, expires: answer.expires }
      await writeMarketplaces(ctx, file)
      return { data: { marketplace: name, user, expires: answer.expires }, text: `logged in to ${name} as ${user} (until ${answer.expires})` }
    }))

  program.command('logout')
    .argument('<marketplace>', 'a marketplace logged in to with `paip login`')
    .description('log out of a marketplace: revokes the token on the node and forgets it here')
    .addHelpText('after', '\nExample:\n  $ paip logout lab')
    .action(action(async (ctx, name: string) => {
      checkMarketplaceName(name)
      const file = await readMarketplaces(ctx)
      const entry = file.marketplaces[name]
      if (entry == null) throw new InvalidArgumentError(`no marketplace "${name}"`)
      if (entry.token == null) return { data: { marketplace: name, loggedOut: false, revoked: false }, text: `not logged in to ${name}` }
      let revoked = true
      let warning: string | undefined
      try {
        await createApiClient({ url: entry.url, token: entry.token }).delete('/repo/auth', undefined, { signal: ctx.signal })
      } catch (err: any) {
        revoked = false
        // a token the node no longer knows (expired, revoked) is as good as revoked
        if (!(err instanceof ApiError && err.kind === 'unauthorized')) warning = `the node could not revoke the token (${err.message as string}); it stays valid there until ${entry.expires ?? 'it expires'}`
      }
      const { token, expires, ...rest } = entry
      void token; void expires
      file.marketplaces[name] = rest
      await writeMarketplaces(ctx, file)
      if (warning != null) ctx.io.stderr(`paip: ${warning}\n`)
      return { data: { marketplace: name, loggedOut: true, revoked }, text: `logged out of ${name}` }
    }))

  program.command('whoami')
    .argument('[marketplace]', 'a marketplace (default: the local node)')
    .description('who the node takes you for: the user of your token at a marketplace, or the admin of the local node')
    .addHelpText('after', '\nExamples:\n  $ paip whoami lab\n  $ paip whoami')
    .action(action(async (ctx, name: string | undefined) => {
      let client: ApiClient
      if (name == null) {
        client = await apiFromContext(ctx)
      } else {
        const entry = await getMarketplace(ctx, checkMarketplaceName(name))
        const expired = entry.expires != null && Date.parse(entry.expires) <= Date.now()
        if (entry.token == null || expired) throw new NotLoggedInError(name)
        client = createApiClient({ url: entry.url, token: entry.token })
      }
      let me: { user: string | null, kind: string }
      try {
        me = await client.get('/api/v1/whoami', { signal: ctx.signal })
      } catch (err) {
        if (name != null && err instanceof ApiError && err.kind === 'unauthorized') throw new NotLoggedInError(name)
        throw err
      }
      const where = name ?? client.url
      if (me.user == null) return { data: { marketplace: where, ...me }, text: `anonymous at ${where}` }
      return { data: { marketplace: where, ...me }, text: `${me.user} at ${where}${me.kind === 'admin' ? ' (the node\'s admin)' : ''}` }
    }))
}
