import { open, readFile, unlink } from 'node:fs/promises'
import { NodeHomeBusyError } from './errors.js'
import { homePath } from './home.js'
import { isProcessAlive } from '../process-alive.js'

export interface HomeLock {
  release: () => Promise<void>
}

/**
 * Takes the node home for this process: a lock file holding our pid, created exclusively.
 * A lock left by a process that is gone is taken over; a live one is a `NodeHomeBusyError`.
 */
export async function lockHome (home: string): Promise<HomeLock> {
  const file = homePath(home, 'lock')
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      let released = false
      return {
        async release () {
          if (released) return
          released = true
          await unlink(file).catch(() => {})
        }
      }
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) throw new NodeHomeBusyError(home, pid)
    // stale: its process is gone
    await unlink(file).catch(() => {})
  }
  throw new NodeHomeBusyError(home)
}
