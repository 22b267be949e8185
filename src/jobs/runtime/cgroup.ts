import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { sleep } from '../../time.js'

/**
 * Per-job control groups: memory (the job is OOM-killed above its limit, and we can tell it
 * was), pids (a fork flood is capped) and cpu (a share of CPU time). cgroup v2 (one unified
 * hierarchy) or v1 (a hierarchy per controller, as on hybrid hosts); none when the node
 * cannot write them (not root, read-only /sys/fs/cgroup): then the sandbox falls back to
 * rlimits.
 */

export type CgroupMode = 'v2' | 'v1' | 'none'

export interface CgroupLimits {
  /** Bytes of memory (RAM, and swap where the host has it). */
  memoryBytes: number
  /** Most processes and threads. */
  pids: number
  /** CPU cores' worth of time (fractions allowed); 0: no CPU limit. */
  cpu: number
}

export interface JobCgroup {
  /** The `cgroup.procs` files a launcher writes its own PID to, before it starts the job. */
  procs: string[]
  /** True when the kernel OOM-killed a process of this group. */
  oomKilled: () => Promise<boolean>
  /** Kills every process left in the group and removes it. */
  remove: () => Promise<void>
}

const ROOT = '/sys/fs/cgroup'
const V1 = ['memory', 'pids', 'cpu'] as const

async function writable (dir: string): Promise<boolean> {
  try { await fs.access(dir, fs.constants.W_OK); return true } catch { return false }
}

export async function detectCgroups (root = ROOT): Promise<CgroupMode> {
  if (process.getuid?.() !== 0) return 'none'
  try {
    const controllers = await fs.readFile(path.join(root, 'cgroup.controllers'), 'utf8')
    if (['memory', 'pids'].every(c => controllers.split(/\s+/).includes(c)) && await writable(root)) return 'v2'
  } catch {}
  const v1 = await Promise.all(V1.map(async c => await writable(path.join(root, c))))
  return v1.every(Boolean) ? 'v1' : 'none'
}

/** The name of a job's group: stable for a node directory and job (to clean up after a crash). */
export function cgroupName (nodeDir: string, jobId: string): string {
  return `${createHash('sha256').update(nodeDir).digest('hex').slice(0, 12)}-${jobId}`
}

async function killAll (dir: string): Promise<void> {
  try {
    await fs.writeFile(path.join(dir, 'cgroup.kill'), '1')
    return
  } catch {}
  for (let round = 0; round < 5; round++) {
    const pids = (await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number)
    if (pids.length === 0) return
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} }
    await sleep(20)
  }
}

async function removeDir (dir: string): Promise<void> {
  for (let tries = 0; tries < 50; tries++) {
    try { await fs.rmdir(dir); return } catch (err: any) {
      if (err?.code === 'ENOENT') return
      await killAll(dir)
      await sleep(20)
    }
  }
}

function dirsOf (mode: CgroupMode, name: string, root: string): string[] {
  if (mode === 'v2') return [path.join(root, 'paip', name)]
  if (mode === 'v1') return V1.map(c => path.join(root, c, 'paip', name))
  return []
}

export async function createJobCgroup (mode: CgroupMode, name: string, limits: CgroupLimits, root = ROOT): Promise<JobCgroup | undefined> {
  if (mode === 'none') return undefined
  const dirs = dirsOf(mode, name, root)
  for (const dir of dirs) await removeDir(dir)
  if (mode === 'v2') {
    const parent = path.join(root, 'paip')
    await fs.mkdir(parent, { recursive: true })
    // controllers must be enabled on the way down for the job's group to have them
    for (const dir of [root, parent]) {
      await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), '+memory +pids +cpu').catch(async () => {
        await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), '+memory +pids')
      })
    }
    const [dir] = dirs
    await fs.mkdir(dir)
    await fs.writeFile(path.join(dir, 'memory.max'), String(limits.memoryBytes))
    await fs.writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => {})
    await fs.writeFile(path.join(dir, 'pids.max'), String(limits.pids))
    if (limits.cpu > 0) await fs.writeFile(path.join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpu * 100_000))} 100000`).catch(() => {})
    return {
      procs: [path.join(dir, 'cgroup.procs')],
      oomKilled: async () => /^oom_kill [1-9]/m.test(await fs.readFile(path.join(dir, 'memory.events'), 'utf8').catch(() => '')),
      remove: async () => { await removeDir(dir) }
    }
  }
  const [memory, pids, cpu] = dirs
  for (const dir of dirs) await fs.mkdir(dir, { recursive: true })
  await fs.writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes))
  await fs.writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {})
  await fs.writeFile(path.join(pids, 'pids.max'), String(limits.pids))
  if (limits.cpu > 0) {
    await fs.writeFile(path.join(cpu, 'cpu.cfs_period_us'), '100000').catch(() => {})
    await fs.writeFile(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpu * 100_000)))).catch(() => {})
  }
  return {
    procs: dirs.map(dir => path.join(dir, 'cgroup.procs')),
    oomKilled: async () => {
      const control = await fs.readFile(path.join(memory, 'memory.oom_control'), 'utf8').catch(() => '')
      if (/^oom_kill [1-9]/m.test(control)) return true
      // older kernels: the limit was hit and usage reached it
      const failcnt = Number((await fs.readFile(path.join(memory, 'memory.failcnt'), 'utf8').catch(() => '0')).trim())
      return !/^oom_kill /m.test(control) && failcnt > 0
    },
    remove: async () => { for (const dir of dirs) await removeDir(dir) }
  }
}

/** Kills and removes what a job's groups still hold (after the node was killed). */
export async function removeJobCgroup (mode: CgroupMode, name: string, root = ROOT): Promise<void> {
  for (const dir of dirsOf(mode, name, root)) await removeDir(dir)
}
