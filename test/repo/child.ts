import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** bin/paip of this checkout (tests run from dist/test/repo). */
export const PAIP_BIN = fileURLToPath(new URL('../../../bin/paip', import.meta.url))

export interface ChildRun {
  child: ChildProcess
  /** Resolves when it exits: its code (or null) and signal, and what it printed. */
  done: Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>
}

/** Runs `paip <args>` in a child process (the same node), killed after `deadline` ms at most. */
export function spawnPaip (args: string[], cwd: string, deadline = 60_000, env: Record<string, string> = {}): ChildRun {
  const child = spawn(process.execPath, [PAIP_BIN, ...args], { cwd, env: { ...process.env, PAIP_AUTHOR: 'child', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', chunk => { stdout += String(chunk) })
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const timer = setTimeout(() => child.kill('SIGKILL'), deadline)
  const done = new Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>((resolve, reject) => {
    child.once('error', err => { clearTimeout(timer); reject(err) })
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
  })
  return { child, done }
}
