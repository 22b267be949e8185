import { mkdir, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { UncommittedChangesError, VersionPathMismatchError } from './errors.js'
import { resolveRef } from './history.js'
import { assertWritableInside, isUnder, toAbsolute, toRepoPath } from './paths.js'
import { workingCid } from './status.js'
import type { RepoContext } from './context.js'
import type { Version } from './records.js'
import type { CheckoutOptions, CheckoutResult } from './types.js'

/**
 * Writes the exact bytes of the versions `ref` names (a version, `file@N`, a tag, `HEAD`) into
 * the working tree, limited to `paths` when given. Heads do not move: a restored old version
 * shows as modified, and `add` + `commit` make it the newest. Refuses to overwrite bytes the
 * repository does not hold (neither committed nor staged) unless `force`.
 */
export async function checkout (ctx: RepoContext, ref: string, options: CheckoutOptions = {}): Promise<CheckoutResult> {
  const { store } = ctx
  const resolved = await resolveRef(store, ref, options.signal)
  let targets: Version[] = resolved.kind === 'version' ? [resolved.version] : [...resolved.versions.values()]
  if (options.paths != null && options.paths.length > 0) {
    const prefixes = options.paths.map(p => toRepoPath(ctx.root, options.cwd ?? ctx.root, p))
    targets = targets.filter(v => prefixes.some(prefix => isUnder(v.path, prefix)))
    if (targets.length === 0) throw new VersionPathMismatchError(ref, prefixes)
  }
  targets.sort((a, b) => a.path.localeCompare(b.path))

  if (options.force !== true) {
    const dirty: string[] = []
    for (const version of targets) {
      const current = await workingCid(ctx, version.path)
      // bytes the repository holds (committed or staged) can always be got back
      if (current == null || current === version.content || await store.hasObject(current)) continue
      dirty.push(version.path)
    }
    if (dirty.length > 0) throw new UncommittedChangesError(dirty)
  }

  const result: CheckoutResult = { restored: [] }
  for (const version of targets) {
    options.signal?.throwIfAborted()
    const bytes = await store.getObject(version.content)
    await writeAtomically(ctx.root, version.path, bytes)
    result.restored.push({ path: version.path, version: version.cid, content: version.content })
  }
  return result
}

/** Writes a file by way of a temporary file and a rename, never through a symlink out. */
async function writeAtomically (root: string, path: string, bytes: Uint8Array): Promise<void> {
  const abs = toAbsolute(root, path)
  await assertWritableInside(root, abs, path)
  await mkdir(dirname(abs), { recursive: true })
  await assertWritableInside(root, abs, path)
  const temp = `${abs}.paip-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  try {
    await writeFile(temp, bytes, { flag: 'wx' })
    await rename(temp, abs)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
}
