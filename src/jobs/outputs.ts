import fs from 'node:fs/promises'
import path from 'node:path'
import type { JobOutput } from './types.js'
import type { BlobStore } from '../storage/blobs.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * Collects the regular files under a job's output directory into the blob store. Symlinks are
 * never followed (neither to files nor to directories), so nothing outside the directory is
 * collected; whatever a job wrote through `..` is outside it and not seen at all.
 */

export interface CollectInit extends AbortOptions {
  dir: string
  blobs: BlobStore
  maxBytes: number
  maxFiles: number
}

export interface CollectResult {
  outputs: JobOutput[]
  /** Set when a limit stopped collection. */
  problem?: string
}

export async function collectOutputs (init: CollectInit): Promise<CollectResult> {
  const root = path.resolve(init.dir)
  const outputs: JobOutput[] = []
  let total = 0
  const top = await fs.lstat(root).catch(() => undefined)
  if (top == null || !top.isDirectory()) return { outputs }

  async function walk (dir: string): Promise<string | undefined> {
    const entries = await fs.readdir(dir, { withFileTypes: true })
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    for (const entry of entries) {
      init.signal?.throwIfAborted()
      const full = path.join(dir, entry.name)
      const rel = path.relative(root, full)
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue
      if (entry.isDirectory()) {
        const problem = await walk(full)
        if (problem != null) return problem
        continue
      }
      if (!entry.isFile()) continue // symlinks, sockets, devices
      const stat = await fs.lstat(full)
      if (!stat.isFile()) continue
      if (outputs.length >= init.maxFiles) return `more than ${init.maxFiles} output files`
      if (total + stat.size > init.maxBytes) return `outputs over ${init.maxBytes} bytes`
      // O_NOFOLLOW: a file swapped for a symlink after the check is refused
      const handle = await fs.open(full, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
      try {
        const stream = handle.createReadStream({ autoClose: false })
        const { cid, size } = await init.blobs.put(stream, { maxBytes: init.maxBytes - total, signal: init.signal })
        total += size
        outputs.push({ path: rel.split(path.sep).join('/'), cid: cid.toString(), size })
      } finally {
        await handle.close()
      }
    }
    return undefined
  }

  const problem = await walk(root)
  return problem == null ? { outputs } : { outputs, problem }
}
