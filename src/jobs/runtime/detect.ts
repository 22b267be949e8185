import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'

/** Finding what isolates jobs here: bwrap on the node's PATH and a container engine that answers. */

export async function which (name: string, dirs: string): Promise<string | undefined> {
  if (name.includes('/')) {
    try { await fs.access(name, fs.constants.X_OK); return name } catch { return undefined }
  }
  for (const dir of dirs.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name)
    try { await fs.access(file, fs.constants.X_OK); return file } catch {}
  }
  return undefined
}

/** Runs a command, to its end or 20 s: its exit code and the last line it printed. */
async function probe (command: string, args: string[]): Promise<{ code: number, last: string }> {
  return await new Promise(resolve => {
    execFile(command, args, { timeout: 20_000 }, (err: any, stdout, stderr) => {
      const last = `${String(stdout)}\n${String(stderr)}`.trim().split('\n').pop() ?? ''
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : 1, last: last === '' && err != null ? err.message : last })
    })
  })
}

/**
 * Whether a container engine can run containers: `<engine> info` answers (a docker CLI
 * without its daemon does not) and, for podman, a container starts (on a host podman cannot
 * drive, it fails before looking for the command): else the reason.
 */
async function answers (engine: string, dir: string): Promise<true | string> {
  const version = await probe(engine, ['--version'])
  if (version.code !== 0) return version.last
  if (!/podman/i.test(version.last)) {
    const info = await probe(engine, ['info'])
    return info.code === 0 ? true : info.last
  }
  const empty = path.join(dir, 'probe-rootfs')
  await fs.mkdir(empty, { recursive: true })
  const run = await probe(engine, ['run', '--rm', '--network', 'none', '--rootfs', empty, '/paip-probe'])
  return run.code === 127 ? true : `it cannot start a container: ${run.last}`
}

/** Engines asked already (several nodes in one process ask once). */
const asked = new Map<string, Promise<true | string>>()

async function answersOnce (engine: string, dir: string): Promise<true | string> {
  let answer = asked.get(engine)
  if (answer == null) { answer = answers(engine, dir); asked.set(engine, answer) }
  return await answer
}

/**
 * The first of `candidates` found on `dirs` that can run containers, else none and why the
 * last one found cannot.
 */
export async function findEngine (candidates: string[], dirs: string, dir: string): Promise<{ engine?: string, problem?: string }> {
  let problem: string | undefined
  for (const name of candidates) {
    const found = await which(name, dirs)
    if (found == null) continue
    const answer = await answersOnce(found, dir)
    if (answer === true) return { engine: found }
    problem = `${found}: ${answer}`
  }
  return problem == null ? {} : { problem }
}
