import fs from 'node:fs/promises'
import path from 'node:path'
import * as tar from 'tar'
import { MAX_TAR_ENTRIES, MAX_UNPACKED_BYTES } from './constants.js'
import { UnsafeTarballError } from './errors.js'

/**
 * Checks every entry of a (gzipped) tarball before anything is unpacked: only files,
 * directories and symlinks that stay inside; no absolute paths, no `..`, no hard links,
 * devices or FIFOs; a cap on entries and unpacked bytes. Answers the entry paths.
 */
export async function checkTarball (file: string): Promise<string[]> {
  const problems: string[] = []
  const paths: string[] = []
  let bytes = 0
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: entry => {
        const name = entry.path
        paths.push(name)
        if (paths.length > MAX_TAR_ENTRIES) { problems.push(`more than ${MAX_TAR_ENTRIES} entries`); return }
        bytes += entry.size ?? 0
        if (path.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) problems.push(`${name}: an absolute path`)
        else if (name.split(/[\\/]/).includes('..')) problems.push(`${name}: a path with ..`)
        if (entry.type === 'SymbolicLink') {
          const target = String(entry.linkpath ?? '')
          const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(name), target))
          if (path.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) problems.push(`${name}: a symlink out of the tarball (to ${target})`)
        } else if (entry.type === 'Link') {
          problems.push(`${name}: a hard link`)
        } else if (!['File', 'OldFile', 'ContiguousFile', 'Directory'].includes(entry.type)) {
          problems.push(`${name}: a ${entry.type} entry (only files, directories and symlinks inside)`)
        }
        entry.resume()
      }
    })
  } catch (err: any) {
    throw new UnsafeTarballError(`not a readable tar.gz: ${String(err?.message ?? err).split('\n')[0]}`)
  }
  if (bytes > MAX_UNPACKED_BYTES) problems.push(`unpacks to more than ${MAX_UNPACKED_BYTES} bytes`)
  if (problems.length > 0) throw new UnsafeTarballError(`the code tarball is refused: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, { problems })
  if (paths.length === 0) throw new UnsafeTarballError('the code tarball is empty')
  return paths
}

/** Unpacks a checked tarball into `dir` (which must not exist yet); files keep no owner or odd modes. */
export async function unpackTarball (file: string, dir: string): Promise<void> {
  await checkTarball(file)
  await fs.mkdir(dir, { recursive: true })
  await tar.x({ file, cwd: dir, strict: true, preservePaths: false, preserveOwner: false, noChmod: false, unlink: true, umask: 0o022 })
}
