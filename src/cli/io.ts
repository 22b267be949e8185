import { readAll, readSecretFromTerminal } from './terminal.js'

/** Largest standard input `readStdin` takes (a password or a token, not a file). */
const MAX_STDIN_BYTES = 64 * 1024

/** Where the CLI reads and writes, so tests can run commands in-process and read the output. */
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** True when stdout is a terminal (progress bars, colours, prompts). */
  isTTY: boolean
  /** Reads a secret (a password) without echo; rejects with `NoTerminalError` when there is no terminal. */
  readSecret?: (prompt: string, signal?: AbortSignal) => Promise<string>
  /** Reads all of standard input as text (`--password-stdin`). */
  readStdin?: (signal?: AbortSignal) => Promise<string>
  env: Record<string, string | undefined>
  cwd: string
}

export function processIO (): CliIO {
  // a reader that goes away (`paip log | head`) ends the output quietly, like any Unix tool
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    isTTY: process.stdout.isTTY === true,
    readSecret: async (prompt, signal) => await readSecretFromTerminal(prompt, { input: process.stdin, output: process.stderr }, signal),
    readStdin: async signal => await readAll(process.stdin, MAX_STDIN_BYTES, signal),
    env: process.env,
    cwd: process.cwd()
  }
}
