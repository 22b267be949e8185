import { spawn } from 'node:child_process'
import { runCommand } from '../process.js'
import { isolatedPaths, SANDBOX_PATHS } from './sandbox.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { InstanceInit, InstanceResult, Runtime } from './types.js'

/**
 * The container runtime: each instance runs in an OCI container of its task role's
 * `dockerImage` (Docker or podman, the same CLI), with its directories bound under `/paip`,
 * the engine's memory, CPU and process limits, no capabilities, no new privileges, and no
 * network unless the node opens it. A missing image is pulled first (its progress goes to the
 * job's log); an image that cannot be had fails the job with that reason.
 */

export interface ContainerInit {
  /** The engine command (`docker`, `podman`, or a wrapper script). */
  engine: string
  /** Directory of this node's jobs (the container names derive from it). */
  dir: string
}

interface Captured { code: number | null, out: string }

async function capture (command: string, args: string[], onOutput?: (chunk: Uint8Array) => void, signal?: AbortSignal): Promise<Captured> {
  return await new Promise(resolve => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal == null ? {} : { signal }) })
    let out = ''
    const take = (chunk: Buffer): void => {
      if (out.length < 64 * 1024) out += chunk.toString('utf8')
      onOutput?.(chunk)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.once('error', err => { resolve({ code: 127, out: err.message }) })
    child.once('close', code => { resolve({ code, out }) })
  })
}

function containerName (dir: string, jobId: string): string {
  let h = 0
  for (const c of dir) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return `paip-${h.toString(16)}-${jobId}`.slice(0, 200)
}

/** Volumes of a content directory: files directly, symlinks (catalog views) by their target. */
async function contentVolumes (from: string, to: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(from, { withFileTypes: true }).catch(() => [])
  if (!entries.some(e => e.isSymbolicLink() || e.isDirectory())) { out.push('-v', `${from}:${to}:ro`); return }
  for (const entry of entries) {
    const src = path.join(from, entry.name)
    const dst = path.posix.join(to, entry.name)
    if (entry.isDirectory()) { await contentVolumes(src, dst, out); continue }
    const real = await fs.realpath(src).catch(() => undefined)
    if (real != null && (await fs.stat(real).catch(() => undefined))?.isFile() === true) out.push('-v', `${real}:${dst}:ro`)
  }
}

export function createContainerRuntime (init: ContainerInit): Runtime {
  const engine = init.engine

  async function ensureImage (i: InstanceInit): Promise<string | undefined> {
    const image = i.image as string
    const present = await capture(engine, ['image', 'inspect', '--format', '{{.Id}}', image], undefined, i.signal)
    if (present.code === 0) return undefined
    i.onOutput(Buffer.from(`paip: pulling image ${image}\n`))
    const creds = i.auth?.username != null ? ['--creds', `${i.auth.username}:${i.auth.password ?? ''}`] : []
    const pulled = await capture(engine, ['pull', ...creds, image], i.onOutput, i.signal)
    if (pulled.code === 0) return undefined
    const last = pulled.out.trim().split('\n').pop() ?? ''
    return `image ${image} could not be pulled${last === '' ? '' : `: ${last}`}`
  }

  async function run (i: InstanceInit): Promise<InstanceResult> {
    if (i.image == null) return { exitCode: null, exitSignal: null, problem: 'the task role names no dockerImage' }
    const problem = await ensureImage(i)
    if (problem != null) return { exitCode: null, exitSignal: null, problem }
    const name = containerName(init.dir, i.jobId)
    await capture(engine, ['rm', '-f', name])
    const args = ['run', '--name', name, '--init',
      '--network', i.limits.network === 'none' ? 'none' : i.limits.network === 'host' ? 'host' : 'bridge',
      '--memory', `${i.limits.memoryMB}m`, '--memory-swap', `${i.limits.memoryMB}m`,
      '--pids-limit', String(i.limits.pids),
      ...(i.limits.cpu > 0 ? ['--cpus', String(i.limits.cpu)] : []),
      '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
      '--tmpfs', '/tmp',
      '-v', `${i.mounts.work}:${SANDBOX_PATHS.work}:rw`, '-v', `${i.mounts.output}:${SANDBOX_PATHS.output}:rw`,
      '-w', SANDBOX_PATHS.work]
    if (i.mounts.dataset != null) await contentVolumes(i.mounts.dataset, SANDBOX_PATHS.dataset, args)
    if (i.mounts.model != null) await contentVolumes(i.mounts.model, SANDBOX_PATHS.model, args)
    for (const m of i.mounts.extra ?? []) await contentVolumes(m.from, m.to, args)
    for (const [k, v] of Object.entries(i.env)) if (k !== 'PATH') args.push('-e', `${k}=${v}`)
    args.push('--entrypoint', '/bin/sh', i.image, '-c', i.script)
    try {
      const result = await runCommand({ command: engine, args, cwd: i.mounts.work, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PAIP_JOB_ID: i.jobId, HOME: process.env.HOME ?? '/' }, onOutput: i.onOutput, signal: i.signal, onSpawn: i.onSpawn })
      return { ...result, oom: result.exitCode === 137 && !i.signal.aborted ? await oomKilled(name) : false }
    } finally {
      await capture(engine, ['rm', '-f', '-t', '0', name])
    }
  }

  async function oomKilled (name: string): Promise<boolean> {
    const state = await capture(engine, ['inspect', '--format', '{{.State.OOMKilled}}', name])
    return state.out.trim() === 'true'
  }

  return {
    name: 'container',
    paths: isolatedPaths,
    run,
    async cleanup (jobId) { await capture(engine, ['rm', '-f', '-t', '0', containerName(init.dir, jobId)]) }
  }
}
