import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { PaipError } from '../errors.js'
import { KEPT_LOG_LINES, START_TIMEOUT, STOP_TIMEOUT } from './constants.js'
import type { ChildProcess } from 'node:child_process'

/** The `paip` executable of this package. */
export const PAIP_BIN = fileURLToPath(new URL('../../../bin/paip', import.meta.url))

/** A daemon process did not start. */
export class DaemonStartError extends PaipError {
  static name = 'DaemonStartError'
  name = 'DaemonStartError'
  constructor (message: string, readonly stderr: string) { super(`${message}${stderr === '' ? '' : `:\n${stderr}`}`, 'unavailable', { stderr }) }
}

export interface DaemonStarted {
  peerId: string
  url: string
  addresses: string[]
  pid: number
}

export interface DaemonProcess {
  child: ChildProcess
  started: DaemonStarted
  /** The last lines the daemon wrote to stderr. */
  log: () => string
  /** Resolves with the exit code (or signal) when the process ended. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export interface SpawnDaemonOptions {
  home: string
  args: string[]
  env: Record<string, string | undefined>
  signal?: AbortSignal
  /** Called with every stderr line (e.g. to show logs). */
  onLog?: (line: string) => void
  /** A command prefix that execs the daemon (e.g. in a network namespace). */
  wrap?: string[]
  /** Longest the daemon may take to start (ms); default START_TIMEOUT. */
  timeout?: number
}

/** Starts `paip --json --home <home> daemon <args>` with this Node and waits until it is up. */
export async function spawnDaemon (options: SpawnDaemonOptions): Promise<DaemonProcess> {
  const [command, ...args] = [...(options.wrap ?? []), process.execPath, PAIP_BIN, '--json', '--home', options.home, 'daemon', ...options.args]
  const child = spawn(command, args, {
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  createInterface({ input: child.stderr! }).on('line', line => {
    lines.push(line)
    if (lines.length > KEPT_LOG_LINES) lines.shift()
    options.onLog?.(line)
  })
  const log = (): string => lines.join('\n')
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => { resolve({ code, signal }) })
  })

  const started = await new Promise<DaemonStarted>((resolve, reject) => {
    const timeout = options.timeout ?? START_TIMEOUT
    const signal = AbortSignal.any([AbortSignal.timeout(timeout), ...(options.signal == null ? [] : [options.signal])])
    const fail = (message: string): void => {
      cleanup()
      child.kill('SIGKILL')
      // give stderr a moment to drain so the error says why
      setTimeout(() => { reject(new DaemonStartError(message, log())) }, 100)
    }
    const onAbort = (): void => { fail(`the daemon in ${options.home} did not start within ${timeout} ms`) }
    const onExit = (code: number | null): void => {
      cleanup()
      setTimeout(() => { reject(new DaemonStartError(`the daemon in ${options.home} exited with code ${code}`, log())) }, 100)
    }
    const rl = createInterface({ input: child.stdout! })
    const onLine = (line: string): void => {
      let event: any
      try { event = JSON.parse(line) } catch { return }
      if (event?.event === 'started') {
        cleanup()
        resolve({ peerId: event.peerId, url: event.url, addresses: event.addresses, pid: event.pid })
      }
    }
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort)
      child.off('exit', onExit)
      rl.off('line', onLine)
    }
    if (signal.aborted) { onAbort(); return }
    signal.addEventListener('abort', onAbort, { once: true })
    child.once('exit', onExit)
    rl.on('line', onLine)
  })
  return { child, started, log, exited }
}

/** SIGTERM, then SIGKILL if it has not exited within `timeout` ms. */
export async function stopDaemon (daemon: DaemonProcess, timeout = STOP_TIMEOUT): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (daemon.child.exitCode != null || daemon.child.signalCode != null) return daemon.exited
  daemon.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const killed = new Promise<void>(resolve => {
    timer = setTimeout(() => { daemon.child.kill('SIGKILL'); resolve() }, timeout)
  })
  await Promise.race([daemon.exited, killed])
  clearTimeout(timer)
  return daemon.exited
}

export async function readToken (home: string): Promise<string> {
  return (await readFile(`${home}/token`, 'utf8')).trim()
}
