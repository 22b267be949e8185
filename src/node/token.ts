import { randomBytes } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { TOKEN_BYTES } from './constants.js'
import { homePath } from './home.js'

/**
 * The node's admin token: the home's `token` file (mode 0600), created with a random value on
 * first start and kept across restarts so scripts holding it keep working.
 */
export async function loadAdminToken (home: string): Promise<string> {
  const file = homePath(home, 'token')
  try {
    const token = (await readFile(file, 'utf8')).trim()
    if (token.length >= 16) {
      await chmod(file, 0o600).catch(() => {})
      return token
    }
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  await writeFile(file, token + '\n', { mode: 0o600 })
  await chmod(file, 0o600)
  return token
}
