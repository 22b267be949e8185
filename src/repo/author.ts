import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The author git would use, from `~/.gitconfig` (or `$XDG_CONFIG_HOME/git/config`):
 * `Name <email>`, or undefined when neither is set. Only the `[user]` section is read.
 */
export async function gitAuthor (env: Record<string, string | undefined>): Promise<string | undefined> {
  const files = [
    env.HOME != null ? join(env.HOME, '.gitconfig') : undefined,
    env.XDG_CONFIG_HOME != null ? join(env.XDG_CONFIG_HOME, 'git', 'config') : env.HOME != null ? join(env.HOME, '.config', 'git', 'config') : undefined
  ]
  for (const file of files) {
    if (file == null) continue
    const text = await readFile(file, 'utf8').catch(() => undefined)
    if (text == null || text.length > 1024 * 1024) continue
    const user = parseUser(text)
    if (user.name != null) return user.email != null ? `${user.name} <${user.email}>` : user.name
  }
  return undefined
}

function parseUser (text: string): { name?: string, email?: string } {
  const user: { name?: string, email?: string } = {}
  let inUser = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line.startsWith('[')) {
      inUser = /^\[\s*user\s*\]$/i.test(line)
      continue
    }
    if (!inUser) continue
    const match = /^(name|email)\s*=\s*(.*)$/i.exec(line)
    if (match == null) continue
    const value = match[2].replace(/^"(.*)"$/, '$1').trim()
    if (value !== '' && value.length <= 200) user[match[1].toLowerCase() as 'name' | 'email'] = value
  }
  return user
}
