import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { RepositoryBusyError } from './errors.js'
import { isProcessAlive } from '../process-alive.js'

export interface RepoLock {
  release: () => Promise<void>
}

export interface LockOptions {
  /** How long to keep trying while another live process holds it (ms, 0: fail at once). */
  wait: number
  retry: number
  signal?: AbortSignal
}

/**
 * Takes the repository for this process: a lock file holding our pid and host, made
 * atomically (written aside, then hard-linked into place, so it is never seen empty). A lock
 * whose process is gone (same host) is taken over; a live one is a `RepositoryBusyError`.
 */
export async function lockRepository (file: string, dir: string, options: LockOptions): Promise<RepoLock> {
  const deadline = Date.now() + options.wait
  const token = Math.random().toString(36).slice(2)
  const mine = `${file}.${process.pid}.${token}`
  const content = `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n${token}\n`
  await writeFile(mine, content, { mode: 0o600 })
  try {
    for (;;) {
      options.signal?.throwIfAborted()
      try {
        await link(mine, file)
        return release(file, content)
      } catch (err: any) {
        if (err.code !== 'EEXIST') throw err
      }
      const holder = await readHolder(file)
      if (holder != null && !holder.alive) {
        await unlink(file).catch(() => {})
        continue
      }
      if (Date.now() >= deadline) throw new RepositoryBusyError(dir, holder?.pid)
      await sleep(options.retry, undefined, { signal: options.signal })
    }
  } finally {
    await unlink(mine).catch(() => {})
  }
}

function release (file: string, content: string): RepoLock {
  let released = false
  return {
    async release () {
      if (released) return
      released = true
      // only our own lock: not one another process took over meanwhile
      if (await readFile(file, 'utf8').catch(() => undefined) === content) await unlink(file).catch(() => {})
    }
  }
}

/** Who holds the lock; undefined when it vanished meanwhile. */
async function readHolder (file: string): Promise<{ pid?: number, alive: boolean } | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw err
  }
  const [pidLine, host] = text.split('\n')
  const pid = Number.parseInt(pidLine ?? '', 10)
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false }
  // a lock from another host (a shared disk) is never presumed stale
  if (host != null && host !== '' && host !== hostname()) return { pid, alive: true }
  return { pid, alive: isProcessAlive(pid) }
}
