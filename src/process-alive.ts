/**
 * Whether a process with this pid exists on this machine (for lock files left by a process that
 * may have died). EPERM means it exists but belongs to someone else: alive.
 */
export function isProcessAlive (pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
