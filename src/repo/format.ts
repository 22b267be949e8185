import { SHORT_ID_CHARS } from './constants.js'
import type { Version } from './records.js'
import type { RepositoryStatus } from './types.js'

/** A version CID in short form (still a valid prefix reference). */
export function shortId (cid: string): string {
  return cid.slice(0, SHORT_ID_CHARS)
}

/** The repository section of `paip status`, for people. */
export function formatRepositoryStatus (status: RepositoryStatus): string[] {
  const lines = [`repository ${status.root}`]
  const section = (title: string, entries: string[]): void => {
    if (entries.length === 0) return
    lines.push(`${title}:`)
    for (const entry of entries) lines.push(`  ${entry}`)
  }
  section('staged for commit', status.staged.map(s => `${s.change === 'new' ? 'new file: ' : 'modified: '} ${s.path}`))
  section('changed, not staged (paip add <file>)', [
    ...status.modified.map(p => `modified:  ${p}`),
    ...status.deleted.map(p => `deleted:   ${p}`)
  ].sort((a, b) => a.slice(11).localeCompare(b.slice(11))))
  section('untracked protocol files (paip add <file>)', status.untracked)
  if (lines.length === 1) lines.push('nothing to commit, working tree clean')
  return lines
}

/** One version, several lines (for `log` and `show`). */
export function formatVersion (version: Version): string[] {
  return [
    `version ${version.cid}`,
    `file:    ${version.path} @${version.seq}`,
    `author:  ${version.author}`,
    `date:    ${version.time}`,
    `content: ${version.content} (${version.size} bytes)`,
    '',
    ...version.message.split('\n').map(line => `    ${line}`)
  ]
}

/** A log, newest first; `oneline` gives one line per version. */
export function formatLog (versions: Version[], oneline = false): string[] {
  if (oneline) return versions.map(v => `${shortId(v.cid)} ${v.path}@${v.seq} ${v.time.slice(0, 19).replace('T', ' ')} ${v.message.split('\n')[0]}`)
  const lines: string[] = []
  for (const version of versions) {
    if (lines.length > 0) lines.push('')
    lines.push(...formatVersion(version))
  }
  return lines
}
