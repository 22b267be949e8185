import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseDataPath } from '../data/index.js'
import { unpackTarball } from './tarball.js'
import type { AlgorithmVersion } from './store.js'
import type { BlobStore } from '../storage/blobs.js'

/**
 * A version's directory, made once per node (a cold call) and reused by every later call (a
 * warm one): `code/` (the unpacked tarball) and `data/<user>/<collection>/<path>` (its data
 * files, copied out of the blob store so a job never touches a blob).
 */
export async function prepareVersion (v: AlgorithmVersion, dir: string, blobs: BlobStore): Promise<void> {
  if (await fs.access(path.join(dir, '.ready')).then(() => true, () => false)) return
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`
  await fs.rm(temp, { recursive: true, force: true })
  try {
    await unpackTarball(blobs.path(v.code), path.join(temp, 'code'))
    for (const file of v.data) {
      const p = parseDataPath(file.path)
      const to = path.join(temp, 'data', p.user, p.collection, ...p.file.split('/'))
      await fs.mkdir(path.dirname(to), { recursive: true })
      await fs.copyFile(blobs.path(file.cid), to, constants.COPYFILE_FICLONE)
      await fs.chmod(to, 0o444)
    }
    await fs.writeFile(path.join(temp, '.ready'), '')
    await fs.rm(dir, { recursive: true, force: true })
    await fs.mkdir(path.dirname(dir), { recursive: true })
    await fs.rename(temp, dir)
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => {})
    throw err
  }
}

/** Mirrors a tree with hard links (copies across file systems); symlinks are copied as links. */
export async function linkTree (from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true })
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    if (entry.name === '.ready') continue
    const src = path.join(from, entry.name)
    const dst = path.join(to, entry.name)
    if (entry.isDirectory()) await linkTree(src, dst)
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst)
    else if (entry.isFile()) {
      try { await fs.link(src, dst) } catch { await fs.copyFile(src, dst) }
    }
  }
}

/** The entry file in a tarball's listing: the one named, else the usual places. */
export function findEntry (paths: string[], name: string, wanted?: string): string | undefined {
  const files = new Set(paths.map(p => p.replace(/^\.\//, '')))
  if (wanted != null) return files.has(wanted) ? wanted : undefined
  for (const candidate of [`src/${name}.py`, `${name}.py`, 'src/algorithm.py', 'algorithm.py', 'src/main.py', 'main.py']) {
    if (files.has(candidate)) return candidate
  }
  return undefined
}
