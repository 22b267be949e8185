import { apiFromContext } from '../../api.js'
import { InvalidArgumentError } from '../../../errors.js'
import { ROLES, checkGroups, checkRoles, checkUserName } from '../../../users/index.js'
import type { Action, CommandContext } from '../../context.js'
import type { CliIO } from '../../io.js'
import type { Command } from 'commander'

interface UserJson { name: string, roles: string[], groups?: string[], created: string }

const ROLE_HELP = `roles: ${ROLES.join(', ')} (admin: everything; publish: push protocols, add datasets and models; run: run jobs and order evaluations; read: read a private node)`

function line (user: UserJson): string {
  const groups = user.groups ?? []
  return `${user.name}  ${user.roles.length === 0 ? '(no roles)' : user.roles.join(',')}${groups.length === 0 ? '' : `  groups ${groups.join(',')}`}  since ${user.created}`
}

function path (user: string): string {
  return `/api/v1/users/${encodeURIComponent(user)}`
}

/** The roles of `grant`/`revoke`/`--role`: names separated by commas or spaces, checked. */
function parseRoles (words: string[]): string[] {
  const roles = words.flatMap(w => w.split(/[,\s]+/)).filter(w => w !== '')
  if (roles.length === 0) throw new InvalidArgumentError(`name at least one role: ${ROLES.join(', ')}`)
  return checkRoles(roles)
}

/** Group names separated by commas or spaces, checked. */
function parseGroups (words: string[]): string[] {
  return checkGroups(words.flatMap(w => w.split(/[,\s]+/)).filter(w => w !== ''))
}

/** Standard input of this process, at most 64 KiB (a password, not a file). */
async function readProcessStdin (signal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin.iterator({ destroyOnReturn: false })) {
    signal?.throwIfAborted()
    size += (chunk as Buffer).length
    if (size > 64 * 1024) throw new InvalidArgumentError('--password-stdin: standard input is over 64 KiB')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The new user's password: from standard input with `--password-stdin`, else asked without echo. */
async function readPassword (ctx: CommandContext, user: string, fromStdin: boolean): Promise<string> {
  const io = ctx.io as CliIO & { readStdin?: (signal?: AbortSignal) => Promise<string> }
  if (fromStdin) {
    const text = (await (io.readStdin ?? readProcessStdin)(ctx.signal)).replace(/\r?\n$/, '')
    if (text === '') throw new InvalidArgumentError('--password-stdin: standard input was empty')
    return text
  }
  if (io.readSecret == null) throw new InvalidArgumentError('a password is read from a terminal, or from standard input with --password-stdin')
  const first = await io.readSecret(`Password for ${user}: `)
  const again = await io.readSecret(`Password for ${user} (again): `)
  if (first !== again) throw new InvalidArgumentError('the two passwords differ')
  return first
}

/** `paip users add|list|grant|revoke|rm`: the node admin's user management. */
export function register (program: Command, action: Action): void {
  const group = program.command('users')
    .description('users of a node and their roles (the node\'s admin only)')
    .addHelpText('after', `\n${ROLE_HELP}\n\nExample:\n  $ paip users add alice --role publish,run\n  $ paip users grant alice read`)

  group.command('add')
    .argument('<user>', 'the user name: 1 to 63 of a-z, 0-9, ".", "_", "-"')
    .option('-r, --role <roles...>', `roles to give (default: publish, read); ${ROLES.join(', ')}`)
    .option('-g, --group <groups...>', 'groups the user belongs to (items shared with a group are readable by its members)')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .description('create a user (asks for its password without echo)')
    .addHelpText('after', '\nExample:\n  $ paip users add alice --role publish,run\n  $ echo "$PASSWORD" | paip users add bob --password-stdin')
    .action(action(async (ctx, user: string, options: { role?: string[], group?: string[], passwordStdin?: boolean }) => {
      checkUserName(user)
      const roles = options.role == null ? undefined : parseRoles(options.role)
      const groups = options.group == null ? undefined : parseGroups(options.group)
      const api = await apiFromContext(ctx)
      const password = await readPassword(ctx, user, options.passwordStdin === true)
      const answer = await api.post<{ user: UserJson }>('/api/v1/users', { name: user, password, ...(roles == null ? {} : { roles }), ...(groups == null ? {} : { groups }) }, { signal: ctx.signal })
      return { data: answer.user, text: `added user ${answer.user.name} (${answer.user.roles.join(',') || 'no roles'})` }
    }))

  group.command('list')
    .description('list the users and their roles')
    .addHelpText('after', '\nExample:\n  $ paip users list --json')
    .action(action(async ctx => {
      const api = await apiFromContext(ctx)
      const { users } = await api.get<{ users: UserJson[] }>('/api/v1/users', { signal: ctx.signal })
      return { data: users, text: users.length === 0 ? ['no users (the admin acts with the node\'s token)'] : users.map(line) }
    }))

  group.command('grant')
    .argument('<user>', 'a user of the node')
    .argument('<roles...>', ROLES.join(', '))
    .description('give roles to a user')
    .addHelpText('after', '\nExample:\n  $ paip users grant alice run')
    .action(action(async (ctx, user: string, words: string[]) => {
      const roles = parseRoles(words)
      const api = await apiFromContext(ctx)
      const answer = await api.post<{ user: UserJson }>(`${path(user)}/roles`, { roles }, { signal: ctx.signal })
      return { data: answer.user, text: line(answer.user) }
    }))

  group.command('revoke')
    .argument('<user>', 'a user of the node')
    .argument('<roles...>', ROLES.join(', '))
    .description('take roles from a user')
    .addHelpText('after', '\nExample:\n  $ paip users revoke alice run')
    .action(action(async (ctx, user: string, words: string[]) => {
      const roles = parseRoles(words)
      const api = await apiFromContext(ctx)
      const answer = await api.delete<{ user: UserJson }>(`${path(user)}/roles`, { roles }, { signal: ctx.signal })
      return { data: answer.user, text: line(answer.user) }
    }))

  group.command('groups')
    .argument('<user>', 'a user of the node')
    .argument('[groups...]', 'the groups it belongs to from now on (replacing its groups); none: show them')
    .option('--none', 'it belongs to no group any more')
    .description('show or set the groups a user belongs to (OpenPAI marketplace items shared with a group are readable by its members)')
    .addHelpText('after', '\nExample:\n  $ paip users groups alice vision nlp\n  $ paip users groups alice --none')
    .action(action(async (ctx, user: string, words: string[], options: { none?: boolean }) => {
      if (options.none === true && words.length > 0) throw new InvalidArgumentError('give groups or --none, not both')
      const api = await apiFromContext(ctx)
      const answer = words.length === 0 && options.none !== true
        ? await api.get<{ user: UserJson }>(path(user), { signal: ctx.signal })
        : await api.put<{ user: UserJson }>(`${path(user)}/groups`, { groups: options.none === true ? [] : parseGroups(words) }, { signal: ctx.signal })
      return { data: answer.user, text: line(answer.user) }
    }))

  group.command('rm')
    .argument('<user>', 'a user of the node')
    .description('delete a user: its tokens stop working; what it published keeps its name as owner')
    .addHelpText('after', '\nExample:\n  $ paip users rm alice')
    .action(action(async (ctx, user: string) => {
      const api = await apiFromContext(ctx)
      const answer = await api.delete<{ user: UserJson }>(path(user), undefined, { signal: ctx.signal })
      return { data: answer.user, text: `removed user ${answer.user.name}` }
    }))
}
