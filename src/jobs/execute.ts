import fs from 'node:fs/promises'
import path from 'node:path'
import { taskEnv } from './env.js'
import { createRedactor } from './redact.js'
import { renderTaskRoleCommands } from '../protocol/index.js'
import type { LogBook } from './logs.js'
import { extraMounts } from './runtime/index.js'
import type { JobLimits, Runtime } from './runtime/index.js'
import type { RunnableProtocol } from './runnable.js'
import type { JobState, LocalContent, StoredJob } from './types.js'

/** Registry credentials with their `<% $secrets.x %>` tags filled in. */
function renderSecrets (auth: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(auth)) out[k] = v.replace(/<%\s*\$secrets\.([A-Za-z0-9_.-]+)\s*%>/g, (_, name: string) => secrets[name] ?? '')
  return out
}

/** Why a run was stopped from outside: the state and reason it ends with. */
export class StopReason {
  constructor (readonly state: JobState | 'interrupted', readonly reason: string) {}
}

export interface ExecuteInit {
  job: StoredJob
  protocol: RunnableProtocol
  parameters: Record<string, string>
  secrets: Record<string, string>
  dataset?: LocalContent
  model?: LocalContent
  workDir: string
  outputDir: string
  logs: LogBook
  maxLogBytes: number
  timeLimit: number
  baseEnv: Record<string, string | undefined>
  /** Where the commands run (process, sandbox or container). */
  runtime: Runtime
  /** The limits of one instance of a task role. */
  limitsOf: (role: RunnableProtocol['taskRoles'][number]) => JobLimits
  /** Aborted with a StopReason to stop the job. */
  signal: AbortSignal
  /** Called when the first command starts. */
  onStarted?: () => void
  /** Called with each instance's process group ID (kept so a restarted node can kill leftovers). */
  onSpawn?: (pid: number) => void | Promise<void>
}

export interface ExecuteResult {
  state: JobState | 'interrupted'
  reason?: string
  exitCode?: number
}

/**
 * Runs every task role's commands (OpenPAI's entrypoint: the deployment's preCommands, the
 * commands and postCommands, one per line, rendered by the protocol component), `instances` times,
 * one after the other, in the job's working directory, with the time limit and the log cap.
 * Commands are rendered with the parameters and secrets first; what they print goes to the
 * log with every secret value replaced by `***`.
 */
export async function executeJob (init: ExecuteInit): Promise<ExecuteResult> {
  await fs.rm(path.dirname(init.workDir), { recursive: true, force: true })
  await fs.mkdir(init.workDir, { recursive: true })
  await fs.mkdir(init.outputDir, { recursive: true })

  const controller = new AbortController()
  const stopFromOutside = (): void => { controller.abort(init.signal.reason) }
  init.signal.addEventListener('abort', stopFromOutside, { once: true })
  if (init.signal.aborted) stopFromOutside()
  const timer = setTimeout(() => {
    controller.abort(new StopReason('failed', `time limit of ${Math.round(init.timeLimit / 1000)} s reached`))
  }, init.timeLimit)

  const redactor = createRedactor(Object.values(init.secrets))
  let logged = 0
  let writes: Promise<void> = Promise.resolve()
  const write = (bytes: Uint8Array): void => {
    if (bytes.byteLength === 0) return
    writes = writes.then(async () => { await init.logs.append(init.job.id, bytes) })
  }
  const onOutput = (chunk: Uint8Array): void => {
    if (controller.signal.aborted && logged >= init.maxLogBytes) return
    const room = init.maxLogBytes - logged
    const take = chunk.byteLength > room ? chunk.subarray(0, room) : chunk
    logged += take.byteLength
    write(redactor.push(take))
    if (chunk.byteLength > room && !controller.signal.aborted) {
      controller.abort(new StopReason('failed', `output limit reached: printed more than ${init.maxLogBytes} bytes`))
    }
  }

  const extra = extraMounts(init.protocol.doc, [init.dataset, init.model].filter(c => c != null), init.runtime.name)
  for (const note of extra.notes) write(Buffer.from(`paip: ${note}\n`))

  try {
    let started = false
    for (const role of init.protocol.taskRoles) {
      for (let index = 0; index < role.instances; index++) {
        const script = renderTaskRoleCommands(init.protocol.doc, role.name, { parameters: init.parameters, secrets: init.secrets })
        const mounts = { work: init.workDir, output: init.outputDir, ...(init.dataset == null ? {} : { dataset: init.dataset.dir }), ...(init.model == null ? {} : { model: init.model.dir }), ...(extra.mounts.length === 0 ? {} : { extra: extra.mounts }) }
        const seen = init.runtime.paths(mounts)
        const env = taskEnv({
          ...init,
          workDir: seen.work,
          outputDir: seen.output,
          ...(init.dataset == null ? {} : { dataset: { ...init.dataset, dir: seen.dataset ?? init.dataset.dir } }),
          ...(init.model == null ? {} : { model: { ...init.model, dir: seen.model ?? init.model.dir } }),
          role,
          index,
          base: init.baseEnv
        })
        if (!started) { started = true; init.onStarted?.() }
        const limits = init.limitsOf(role)
        const result = await init.runtime.run({
          jobId: init.job.id,
          script,
          env,
          mounts,
          limits,
          ...(role.dockerImage == null ? {} : { image: role.dockerImage }),
          ...(role.auth == null ? {} : { auth: renderSecrets(role.auth, init.secrets) }),
          onOutput,
          signal: controller.signal,
          onSpawn: init.onSpawn
        })
        if (result.stopped != null || controller.signal.aborted) {
          const stop = controller.signal.reason
          return stop instanceof StopReason ? { state: stop.state, reason: stop.reason } : { state: 'failed', reason: String(stop) }
        }
        if (result.problem != null) return { state: 'failed', reason: `task role ${role.name}: ${result.problem}` }
        if (result.oom === true) {
          return { state: 'failed', reason: `task role ${role.name} instance ${index} was killed: over its memory limit of ${limits.memoryMB} MB`, exitCode: result.exitCode ?? undefined }
        }
        if (result.exitCode !== 0) {
          const how = result.exitCode == null ? `killed by ${result.exitSignal ?? 'a signal'}` : `exited with code ${result.exitCode}`
          return { state: 'failed', reason: `task role ${role.name} instance ${index} ${how}`, exitCode: result.exitCode ?? undefined }
        }
      }
    }
    return { state: 'succeeded', exitCode: 0 }
  } finally {
    clearTimeout(timer)
    init.signal.removeEventListener('abort', stopFromOutside)
    write(redactor.flush())
    await writes.catch(() => {})
  }
}
