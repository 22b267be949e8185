import fs from 'node:fs/promises'
import path from 'node:path'
import { runCommand } from '../process.js'
import { cgroupName, createJobCgroup, removeJobCgroup } from './cgroup.js'
import type { CgroupMode } from './cgroup.js'
import type { InstanceInit, InstanceResult, Mounts, Runtime } from './types.js'

/**
 * The sandbox runtime: bubblewrap. Each instance gets new pid, mount, ipc, uts, cgroup and
 * (unless the node opens it) network namespaces; a root filesystem of the host's read-only
 * `/usr` (and the few files of `/etc` programs need), a private `/tmp`, its own `/proc`, and
 * only its own directories under `/paip`. When the node runs as root, the job runs as an
 * unprivileged user (`uid`, default nobody) with no capabilities and no-new-privs, in
 * control groups that cap its memory, processes and CPU; otherwise bubblewrap makes a user
 * namespace and rlimits stand in for the control groups. When the instance's first process
 * ends, the kernel kills everything else in its pid namespace: nothing survives a job.
 */

export interface SandboxInit {
  /** The bwrap executable. */
  bwrap: string
  cgroups: CgroupMode
  /** Directory identifying this node's jobs (names its control groups). */
  dir: string
  /** The unprivileged user and group jobs run as when the node is root. */
  uid?: number
  gid?: number
}

export const SANDBOX_PATHS = { work: '/paip/work', output: '/paip/output', dataset: '/paip/dataset', model: '/paip/model' }

/** Where a job inside the sandbox or a container sees its directories. */
export function isolatedPaths (m: Mounts): ReturnType<Runtime['paths']> {
  return {
    work: SANDBOX_PATHS.work,
    output: SANDBOX_PATHS.output,
    ...(m.dataset == null ? {} : { dataset: SANDBOX_PATHS.dataset }),
    ...(m.model == null ? {} : { model: SANDBOX_PATHS.model })
  }
}
const NOBODY = 65534
const ETC = ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'passwd', 'group', 'nsswitch.conf', 'hosts', 'resolv.conf', 'host.conf', 'localtime', 'timezone', 'mime.types', 'protocols', 'services', 'python3', 'python3.11', 'xdg', 'fonts', 'gai.conf']
const TOP = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']
const PATH_IN = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Read-only binds of a content directory: files directly, symlinks (catalog views) by their target. */
async function contentBinds (from: string, to: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(from, { withFileTypes: true }).catch(() => [])
  if (!entries.some(e => e.isSymbolicLink())) {
    // no links at this level: bind the directory, unless links hide deeper
    if (!await hasLinks(from)) { out.push('--ro-bind', from, to); return }
  }
  out.push('--dir', to)
  for (const entry of entries) {
    const src = path.join(from, entry.name)
    const dst = path.join(to, entry.name)
    if (entry.isDirectory()) { await contentBinds(src, dst, out); continue }
    const real = await fs.realpath(src).catch(() => undefined)
    if (real == null) continue
    const stat = await fs.stat(real).catch(() => undefined)
    if (stat?.isFile() === true) out.push('--ro-bind', real, dst)
  }
}

async function hasLinks (dir: string): Promise<boolean> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isSymbolicLink()) return true
    if (entry.isDirectory() && await hasLinks(path.join(dir, entry.name))) return true
  }
  return false
}

async function rootBinds (): Promise<string[]> {
  const args = ['--ro-bind', '/usr', '/usr']
  for (const name of TOP) {
    const target = await fs.readlink(`/${name}`).catch(() => undefined)
    if (target != null) { args.push('--symlink', target, `/${name}`); continue }
    if ((await fs.stat(`/${name}`).catch(() => undefined))?.isDirectory() === true) args.push('--ro-bind', `/${name}`, `/${name}`)
  }
  args.push('--perms', '0755', '--dir', '/etc')
  for (const name of ETC) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`)
  return args
}

export function createSandboxRuntime (init: SandboxInit): Runtime {
  const root = process.getuid?.() === 0
  const uid = init.uid ?? NOBODY
  const gid = init.gid ?? NOBODY
  let base: Promise<string[]> | undefined

  async function run (i: InstanceInit): Promise<InstanceResult> {
    base ??= rootBinds()
    const args = [...await base]
    args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp', '--perms', '1777', '--tmpfs', '/dev/shm', '--dir', '/paip')
    args.push('--bind', i.mounts.work, SANDBOX_PATHS.work, '--bind', i.mounts.output, SANDBOX_PATHS.output)
    if (i.mounts.dataset != null) await contentBinds(i.mounts.dataset, SANDBOX_PATHS.dataset, args)
    if (i.mounts.model != null) await contentBinds(i.mounts.model, SANDBOX_PATHS.model, args)
    for (const m of i.mounts.extra ?? []) {
      // the directories above a mount, readable by the job (bwrap would make them 0700)
      const parts = m.to.split('/').filter(p => p !== '')
      for (let n = 1; n < parts.length; n++) args.push('--perms', '0755', '--dir', '/' + parts.slice(0, n).join('/'))
      await contentBinds(m.from, m.to, args)
    }
    args.push('--remount-ro', '/', '--chdir', SANDBOX_PATHS.work)
    args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'paip-job')
    if (i.limits.network === 'none') args.push('--unshare-net')
    if (!root) args.push('--unshare-user')
    args.push('--die-with-parent', '--new-session', '--clearenv')
    // the script (secrets rendered in) travels in the environment, read through fd 3, never on a command line
    for (const [k, v] of Object.entries({ ...i.env, PATH: PATH_IN, PAIP_SCRIPT: i.script })) args.push('--setenv', k, v)

    const cgroup = await createJobCgroup(init.cgroups, cgroupName(init.dir, i.jobId), {
      memoryBytes: i.limits.memoryMB * 1024 * 1024,
      pids: i.limits.pids,
      cpu: i.limits.cpu
    })
    const command: string[] = []
    if (root) {
      await fs.chown(i.mounts.work, uid, gid)
      await fs.chown(i.mounts.output, uid, gid)
      args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID')
      command.push('setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--')
    }
    if (cgroup == null) {
      // no control groups: rlimits per process (memory as address space) and per user (processes)
      command.push('prlimit', `--as=${i.limits.memoryMB * 1024 * 1024}`, `--nproc=${i.limits.pids}`, '--')
    }
    command.push('/bin/sh', '-c', 's=$PAIP_SCRIPT; unset PAIP_SCRIPT; eval "$s"')
    const fd3 = Buffer.from(args.map(a => a + '\0').join(''))
    // the launcher joins the job's control groups before bwrap starts, so every process is in them
    const launcher = 'for f in $PAIP_CGROUPS; do echo $$ > "$f" || exit 125; done; exec "$0" --args 3 -- "$@"'
    try {
      const result = await runCommand({
        command: '/bin/sh',
        args: ['-c', launcher, init.bwrap, ...command],
        cwd: i.mounts.work,
        env: { PATH: PATH_IN, PAIP_JOB_ID: i.jobId, PAIP_CGROUPS: (cgroup?.procs ?? []).join(' ') },
        fd3,
        onOutput: i.onOutput,
        signal: i.signal,
        onSpawn: i.onSpawn
      })
      const oom = cgroup != null && await cgroup.oomKilled()
      return { ...result, oom }
    } finally {
      await cgroup?.remove()
    }
  }

  return {
    name: 'sandbox',
    paths: isolatedPaths,
    run,
    async cleanup (jobId) { await removeJobCgroup(init.cgroups, cgroupName(init.dir, jobId)) }
  }
}
