import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { PaipError } from '../errors.js'
import { KEPT_LOG_LINES, START_MAX_TIMEOUT, START_POLL_INTERVAL, START_TIMEOUT, STOP_TIMEOUT } from './constants.js'
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
  /** Wall time from the spawn to the `started` line (ms). */
  ms: number
  /** CPU time the process used until then (ms; undefined where /proc is not readable). */
  cpuMs?: number
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
  /**
   * Longest the daemon may go without using CPU while it starts (ms; default START_TIMEOUT):
   * a start that keeps running (slowly, on a busy machine) is waited for, up to `maxTimeout`.
   * Where a process's CPU time cannot be read (no /proc) it is the whole start's deadline.
   */
  timeout?: number
  /** Longest the whole start may take however busy the daemon is (ms; default START_MAX_TIMEOUT). */
  maxTimeout?: number
}

/** CPU time a process (and its waited-for children) used so far, in ms; undefined without /proc. */
export async function cpuTime (pid: number | undefined): Promise<number | undefined> {
  if (pid == null) return undefined
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    // utime, stime, cutime, cstime: fields 14-17, in USER_HZ (100 a second on Linux)
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

function seconds (ms: number): string { return `${(ms / 1000).toFixed(1)} s` }

/** What the machine was doing: why a start that used little CPU took long. */
function loadNote (): string {
  return `load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`
}

/**
 * Starts `paip --json --home <home> daemon <args>` with this Node and waits until it is up: as
 * long as it keeps using CPU (a start on a busy machine is slow, not failed), but no longer
 * than `timeout` without, nor `maxTimeout` in all. The error says how much CPU it got.
 */
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

  const spawned = performance.now()
  const started = await new Promise<DaemonStarted>((resolve, reject) => {
    const stallTimeout = options.timeout ?? START_TIMEOUT
    const maxTimeout = Math.max(options.maxTimeout ?? START_MAX_TIMEOUT, stallTimeout)
    const signal = AbortSignal.any([AbortSignal.timeout(maxTimeout), ...(options.signal == null ? [] : [options.signal])])
    let settled = false
    // the CPU it used when last seen gaining, and when that was
    let cpu: number | undefined
    let progressed = performance.now()
    const fail = (message: string): void => {
      cleanup()
      child.kill('SIGKILL')
      // give stderr a moment to drain so the error says why
      setTimeout(() => { reject(new DaemonStartError(message, log())) }, 100)
    }
    const used = (): string => cpu == null ? '' : `; it used ${seconds(cpu)} of CPU in ${seconds(performance.now() - spawned)} (${loadNote()})`
    const onAbort = (): void => {
      if (options.signal?.aborted === true) fail(`the start of the daemon in ${options.home} was cancelled`)
      else fail(`the daemon in ${options.home} did not start within ${maxTimeout} ms${used()}`)
    }
    const poll = setInterval(() => {
      void cpuTime(child.pid).then(now => {
        if (settled) return
        if (now == null) {
          // no /proc: the stall window is the whole deadline
          if (performance.now() - spawned >= stallTimeout) fail(`the daemon in ${options.home} did not start within ${stallTimeout} ms`)
          return
        }
        if (cpu == null || now > cpu) { cpu = now; progressed = performance.now(); return }
        if (performance.now() - progressed >= stallTimeout) {
          fail(`the daemon in ${options.home} did not start: it used no CPU for ${stallTimeout} ms (stuck, not slow)${used()}`)
        }
      })
    }, Math.min(START_POLL_INTERVAL, stallTimeout / 4))
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
        const ms = performance.now() - spawned
        void cpuTime(child.pid).then(cpuMs => {
          resolve({ peerId: event.peerId, url: event.url, addresses: event.addresses, pid: event.pid, ms, cpuMs })
        })
      }
    }
    const cleanup = (): void => {
      settled = true
      clearInterval(poll)
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
