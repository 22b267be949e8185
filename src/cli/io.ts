/** Where the CLI reads and writes, so tests can run commands in-process and read the output. */
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** True when stdout is a terminal (progress bars, colours, prompts). */
  isTTY: boolean
  /** Reads a secret (a password) without echo; rejects when there is no terminal. */
  readSecret?: (prompt: string) => Promise<string>
  env: Record<string, string | undefined>
  cwd: string
}

export function processIO (): CliIO {
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd()
  }
}
