import { spawn } from 'node:child_process'
import { PIPE_DRAIN_TIMEOUT } from './constants.js'

/**
 * The process runtime: runs one script with `/bin/sh -c` in its own process group
 * (`detached`), so stopping it (time limit, output cap, cancel) or its normal end kills every
 * process it forked, with `kill(-pid, SIGKILL)`.
 */

export interface RunScriptInit {
  script: string
  cwd: string
  env: Record<string, string>
  /** Each chunk of stdout or stderr, in order of arrival. */
  onOutput: (chunk: Uint8Array) => void
  /** Aborting kills the process group; the abort reason is returned as `stopped`. */
  signal: AbortSignal
  /** Called with the process group ID once the shell started. */
  onSpawn?: (pid: number) => void | Promise<void>
}

export interface ScriptResult {
  exitCode: number | null
  /** The signal that ended the shell, if any. */
  exitSignal: string | null
  /** The abort reason, when it was stopped from outside. */
  stopped?: unknown
}

export function killGroup (pid: number | undefined): void {
  if (pid == null) return
  try { process.kill(-pid, 'SIGKILL') } catch { /* already gone */ }
}

/**
 * Kills what is left of a job's process group after the node died (kill -9 leaves detached
 * groups running). The group is only killed when its leader is gone (Linux never hands out a
 * PID still used as a process group ID, so the group is the job's) or when the leader's
 * environment names the job.
 */
export async function killLeftovers (pid: number, jobId: string): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false
  let environ: string | undefined
  try {
    environ = (await import('node:fs/promises').then(async fs => await fs.readFile(`/proc/${pid}/environ`))).toString('latin1')
  } catch (err: any) {
    if (err?.code !== 'ENOENT') return false
  }
  if (environ != null && !environ.split('\0').includes(`PAIP_JOB_ID=${jobId}`)) return false
  try { process.kill(-pid, 'SIGKILL'); return true } catch { return false }
}

export async function runScript (init: RunScriptInit): Promise<ScriptResult> {
  return await runCommand({ ...init, command: '/bin/sh', args: ['-c', init.script] })
}

export interface RunCommandInit extends Omit<RunScriptInit, 'script'> {
  command: string
  args: string[]
  /** Written to the child's file descriptor 3, then closed (e.g. bwrap's `--args 3`). */
  fd3?: Uint8Array
}

/** Runs a command in its own process group; what `runScript` does, for any command. */
export async function runCommand (init: RunCommandInit): Promise<ScriptResult> {
  if (init.signal.aborted) return { exitCode: null, exitSignal: null, stopped: init.signal.reason }
  const child = spawn(init.command, init.args, {
    cwd: init.cwd,
    env: init.env,
    detached: true,
    stdio: init.fd3 == null ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe']
  })
  if (init.fd3 != null) {
    const input = child.stdio[3] as NodeJS.WritableStream & { on: (e: string, f: () => void) => void }
    input.on('error', () => {})
    input.end(init.fd3)
  }
  const pid = child.pid
  let stopped: unknown
  const onAbort = (): void => {
    stopped = init.signal.reason
    killGroup(pid)
  }
  init.signal.addEventListener('abort', onAbort, { once: true })
  const stdout = child.stdout as NodeJS.ReadableStream
  const stderr = child.stderr as NodeJS.ReadableStream
  stdout.on('data', (chunk: Buffer) => { init.onOutput(chunk) })
  stderr.on('data', (chunk: Buffer) => { init.onOutput(chunk) })
  // listen before anything awaits, so an early exit is never missed
  const exited = new Promise<ScriptResult>((resolve) => {
    child.once('error', (err) => {
      init.onOutput(Buffer.from(`paip: could not start ${init.command}: ${err.message}\n`))
      resolve({ exitCode: 127, exitSignal: null })
    })
    child.once('exit', (code, sig) => { resolve({ exitCode: code, exitSignal: sig }) })
  })

  try {
    if (pid != null) await Promise.resolve(init.onSpawn?.(pid)).catch(() => {})
    const result = await exited
    // the shell is gone: whatever it left running in its group goes too
    killGroup(pid)
    await drained(stdout, stderr)
    return stopped === undefined ? result : { ...result, stopped }
  } finally {
    init.signal.removeEventListener('abort', onAbort)
  }
}

/** Waits for both pipes to close, but not forever (a process outside the group may hold them). */
async function drained (...streams: NodeJS.ReadableStream[]): Promise<void> {
  await Promise.all(streams.map(async stream => {
    const s = stream as NodeJS.ReadableStream & { closed?: boolean, destroy: () => void }
    if (s.closed === true) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { s.destroy(); resolve() }, PIPE_DRAIN_TIMEOUT)
      s.once('close', () => { clearTimeout(timer); resolve() })
    })
  }))
}
