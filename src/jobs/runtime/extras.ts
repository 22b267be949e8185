import path from 'node:path'
import type { ExtraMount, RuntimeName } from './types.js'

/** What the job's directories are, by the names a protocol may give them in its extras. */
export interface MountableContent { id?: string, name?: string, cid?: string, dir: string }

/** Where a mount may not go: the job's own directories and the system's. */
const RESERVED = ['/paip', '/proc', '/dev', '/sys', '/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/tmp']

/**
 * OpenPAI data mounts in a protocol's `extras`, mapped where they map: `extras.storages`
 * (`[{name, mountPath?}]`, at `/mnt/<name>` by default) and the `teamwise_storage` runtime
 * plugin's `storageConfigNames`. A storage whose name is the job's dataset or model (its name,
 * ID or CID) becomes a read-only mount of that content at its mountPath; everything else (a
 * cluster storage this node does not have, a host path, a mountPath over the job's or the
 * system's directories) is left out, with a line for the job's log saying which and why.
 */
export function extraMounts (doc: unknown, content: MountableContent[], runtime: RuntimeName): { mounts: ExtraMount[], notes: string[] } {
  const extras = (doc as any)?.extras
  const asked: Array<{ name: unknown, mountPath?: unknown }> = []
  if (Array.isArray(extras?.storages)) for (const s of extras.storages) asked.push(typeof s === 'object' && s != null ? s : { name: s })
  if (Array.isArray(extras?.['com.microsoft.pai.runtimeplugin'])) {
    for (const p of extras['com.microsoft.pai.runtimeplugin']) {
      const names = p?.plugin === 'teamwise_storage' ? p?.parameters?.storageConfigNames : undefined
      if (Array.isArray(names)) for (const name of names) asked.push({ name })
    }
  }
  const mounts: ExtraMount[] = []
  const notes: string[] = []
  for (const s of asked) {
    const name = typeof s.name === 'string' ? s.name : JSON.stringify(s.name)
    const label = `extras storage ${JSON.stringify(name)}`
    if (runtime === 'process') { notes.push(`${label}: ignored: the process runtime has no mounts`); continue }
    if (typeof s.name !== 'string' || s.name === '' || s.name.includes('/') || s.name.includes('\\') || s.name.startsWith('.')) {
      notes.push(`${label}: refused: a storage is named by a dataset or model of this job, not a path`)
      continue
    }
    const found = content.find(c => [c.name, c.id, c.cid].includes(s.name as string))
    if (found == null) { notes.push(`${label}: ignored: not a dataset or model of this job (this node has no such storage)`); continue }
    const to = s.mountPath == null ? `/mnt/${s.name}` : s.mountPath
    if (typeof to !== 'string' || !path.posix.isAbsolute(to) || to.split('/').includes('..') || /[:,\0\n]/.test(to) || path.posix.normalize(to) === '/' ||
      RESERVED.some(r => to === r || path.posix.normalize(to).startsWith(r + '/'))) {
      notes.push(`${label}: refused: mountPath ${JSON.stringify(to)} is not an absolute path outside the job's and the system's directories`)
      continue
    }
    const at = path.posix.normalize(to).replace(/\/$/, '')
    if (mounts.some(m => m.to === at)) { notes.push(`${label}: ignored: ${at} is mounted already`); continue }
    mounts.push({ from: found.dir, to: at })
    notes.push(`${label}: mounted read-only at ${at}`)
  }
  return { mounts, notes }
}
