/**
 * Rules of the published spec (microsoft/openpai-protocol `schemas/v2/schema.yaml`) that
 * OpenPAI's server does not enforce, and the hived scheduler's checks, which a cluster runs
 * only when it uses hived. Both are warnings; `strict` makes the spec's rules errors.
 */
import { HIVED_PRIORITY_CLASSES } from './constants.js'
import { childPath } from './positions.js'
import { isMapping } from './references.js'
import type { Problem } from './types.js'

function spec (path: string, message: string): Problem {
  return { severity: 'warning', path, message: `${message} (published spec; OpenPAI's server accepts it)`, rule: 'spec' }
}

function hived (path: string, message: string): Problem {
  return { severity: 'warning', path, message: `${message} (checked by clusters that run the hived scheduler)`, rule: 'hived' }
}

const VERSION = '`version` should be a string, not a number (quote it)'

export function checkSpec (doc: Record<string, unknown>): Problem[] {
  const out: Problem[] = []
  if (doc.prerequisites === undefined) out.push(spec('', 'the spec requires `prerequisites` (at least one)'))
  if (typeof doc.version === 'number') out.push(spec('/version', VERSION))
  if (Array.isArray(doc.prerequisites)) {
    doc.prerequisites.forEach((p, i) => {
      if (!isMapping(p)) return
      if (typeof p.version === 'number') out.push(spec(`/prerequisites/${i}/version`, VERSION))
      if (p.type === 'data' && Array.isArray(p.uri) && p.uri.length === 0) out.push(spec(`/prerequisites/${i}/uri`, 'a data prerequisite\'s `uri` needs at least one item'))
    })
  }
  const roles = isMapping(doc.taskRoles) ? doc.taskRoles : {}
  for (const [name, role] of Object.entries(roles)) {
    if (!isMapping(role)) continue
    const path = childPath('/taskRoles', name)
    if (typeof role.taskRetryCount === 'number' && role.taskRetryCount < 0) out.push(spec(`${path}/taskRetryCount`, '`taskRetryCount` should be at least 0'))
    if (isMapping(role.completion)) {
      for (const field of ['minFailedInstances', 'minSucceededInstances']) {
        if (role.completion[field] === null) out.push(spec(`${path}/completion/${field}`, `\`${field}\` should be an integer, not null`))
      }
    }
    const options = role.extraContainerOptions
    if (isMapping(options) && options.infiniband !== undefined && typeof options.infiniband !== 'boolean') {
      out.push(spec(`${path}/extraContainerOptions/infiniband`, '`infiniband` should be a boolean'))
    }
  }
  if (isMapping(doc.extras)) out.push(...checkHived(doc.extras.hivedScheduler, roles))
  return out
}

function checkHived (config: unknown, roles: Record<string, unknown>): Problem[] {
  if (config === undefined) return []
  const base = '/extras/hivedScheduler'
  if (!isMapping(config)) return [hived(base, '`hivedScheduler` should be a mapping')]
  const out: Problem[] = []
  const priority = config.jobPriorityClass
  if (priority !== undefined && !HIVED_PRIORITY_CLASSES.includes(priority as string)) {
    out.push(hived(`${base}/jobPriorityClass`, `\`jobPriorityClass\` should be one of ${HIVED_PRIORITY_CLASSES.join(', ')}`))
  }
  if (config.taskRoles === undefined) return out
  if (!isMapping(config.taskRoles) || Object.keys(config.taskRoles).length === 0) {
    out.push(hived(`${base}/taskRoles`, '`taskRoles` should be a non-empty mapping'))
    return out
  }
  for (const [name, entry] of Object.entries(config.taskRoles)) {
    const path = childPath(`${base}/taskRoles`, name)
    if (!(name in roles)) out.push(hived(path, `task role \`${name}\` does not exist`))
    if (!isMapping(entry)) { out.push(hived(path, 'should be a mapping')); continue }
    for (const field of ['skuType', 'pinnedCellId', 'affinityGroupName']) {
      const value = entry[field]
      if (value !== undefined && value !== null && typeof value !== 'string') out.push(hived(`${path}/${field}`, `\`${field}\` should be a string or null`))
    }
    if (entry.skuType === null) out.push(spec(`${path}/skuType`, '`skuType` should be a string, not null'))
    if (entry.skuType != null && entry.pinnedCellId != null) out.push(hived(path, '`skuType` and `pinnedCellId` cannot both be set'))
  }
  return out
}
