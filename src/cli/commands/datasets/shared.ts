import type { CatalogEntry, EntryKind, SearchResult } from '../../../catalog/index.js'

/** `/api/v1/datasets` or `/api/v1/models`. */
export function basePath (kind: EntryKind): string {
  return `/api/v1/${kind}s`
}

export function formatBytes (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '--'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

/** One line per entry: name, owner, visibility, size, files, tags. */
export function entryLine (entry: CatalogEntry): string {
  const tags = entry.tags.length === 0 ? '' : `  ${entry.tags.join(' ')}`
  return `${entry.name}  ${entry.owner ?? 'admin'}  ${entry.public ? 'public' : 'private'}  ${formatBytes(entry.size)}  ${entry.files} file(s)${tags}`
}

/** Every field of an entry, for `show`. */
export function entryDetails (entry: CatalogEntry & { manifestFiles?: Array<{ path: string, size: number, cid: string }> }): string[] {
  const lines: string[] = []
  const { manifestFiles, ...fields } = entry
  for (const [key, value] of Object.entries(fields)) {
    lines.push(`${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
  }
  if (manifestFiles != null) {
    lines.push('files:')
    for (const f of manifestFiles) lines.push(`  ${f.path}  ${formatBytes(f.size)}  ${f.cid}`)
  }
  return lines
}

/** One line per search result: all/any, name, node and its first address. */
export function resultLines (results: SearchResult[]): string[] {
  if (results.length === 0) return ['no matches']
  return results.map(r => `${r.all ? 'all' : 'any'}  ${r.entry.name}  ${r.entry.public ? 'public' : 'private'}  ${r.matched.join(' ')}  ${r.node.peerId}${r.node.self ? ' (this node)' : ''}  ${r.node.addresses[0] ?? ''}`.trimEnd())
}

/** Splits `--labels a,b` and similar. */
export function list (value: string | undefined): string[] | undefined {
  if (value == null) return undefined
  return value.split(',').map(s => s.trim()).filter(s => s !== '')
}
