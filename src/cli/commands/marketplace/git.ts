/** Running the system `git` (no shell, no prompts, with a deadline) for import and export. */
import { execFile } from 'node:child_process'
import { PaipError } from '../../../errors.js'
import { InvalidArgumentError } from '../../../errors.js'
import { second } from '../../../time.js'

export const GIT_TIMEOUT = 120 * second
const MAX_OUTPUT = 64 * 1024 * 1024

/** git failed (not installed, bad URL, refused push...). */
export class GitError extends PaipError {
  static name = 'GitError'
  name = 'GitError'
  constructor (message: string) { super(message, 'unavailable') }
}

export interface GitOptions {
  cwd: string
  signal?: AbortSignal
  env?: Record<string, string>
}

export async function git (args: string[], options: GitOptions): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    execFile('git', args, {
      cwd: options.cwd,
      encoding: 'buffer',
      maxBuffer: MAX_OUTPUT,
      timeout: GIT_TIMEOUT,
      signal: options.signal,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', LC_ALL: 'C', ...options.env }
    }, (err, stdout, stderr) => {
      if (err != null) {
        const text = Buffer.from(stderr ?? '').toString('utf8').trim().split('\n').slice(-3).join(' ')
        reject(new GitError(`git ${args[0]} failed: ${text !== '' ? text : err.message}`))
      } else {
        resolve(stdout)
      }
    })
  })
}

export async function gitText (args: string[], options: GitOptions): Promise<string> {
  return (await git(args, options)).toString('utf8')
}

/** A git URL or path, never an option in disguise. */
export function checkGitUrl (url: string): string {
  if (typeof url !== 'string' || url === '' || url.startsWith('-') || url.includes('\0')) throw new InvalidArgumentError(`not a git URL: ${url}`)
  return url
}
