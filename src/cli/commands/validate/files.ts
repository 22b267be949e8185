/** The protocol files named on the command line: files as given, directories walked for YAML. */
import { readdir, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'

/** Most files one `paip validate` call walks out of directories. */
export const MAX_WALKED_FILES = 100_000

const YAML_FILE = /\.ya?ml$/i
const SKIPPED_DIRS = new Set(['node_modules', '.git'])

export interface NamedFile {
  /** As shown to the user (relative to the working directory when it came from a walk). */
  name: string
  path: string
}

async function walk (dir: string, out: string[], signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  for (const entry of entries) {
    if (out.length >= MAX_WALKED_FILES) return
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) await walk(path, out, signal)
    } else if (entry.isFile() && YAML_FILE.test(entry.name)) {
      out.push(path)
    }
  }
}

/** Expands the arguments; a name that does not exist is kept (its validation reports it). */
export async function expandArguments (args: string[], cwd: string, signal: AbortSignal): Promise<NamedFile[]> {
  const files: NamedFile[] = []
  for (const arg of args) {
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg)
    const info = await stat(path).catch(() => undefined)
    if (info?.isDirectory() === true) {
      const found: string[] = []
      await walk(path, found, signal)
      for (const file of found) files.push({ name: isAbsolute(arg) ? file : relative(cwd, file), path: file })
    } else {
      files.push({ name: arg, path })
    }
  }
  return files
}
