/**
 * The checks OpenPAI's REST server runs after its schema (pai `middlewares/v2/protocol.js`
 * `protocolValidate`): unique prerequisites per type, unique deployments, every name a task
 * role uses declared, `defaults.deployment` declared. Written defensively: they also run on
 * documents that failed the schema, so a user sees every problem at once.
 */
import { childPath } from './positions.js'
import type { Problem } from './types.js'

export function isMapping (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

function error (path: string, rule: string, message: string): Problem {
  return { severity: 'error', path, message, rule }
}

function warning (path: string, rule: string, message: string): Problem {
  return { severity: 'warning', path, message, rule }
}

/** The document's prerequisites: for each, its index, type and name (when they are strings). */
function prerequisitesOf (doc: Record<string, unknown>): Array<{ index: number, type: string, name: string }> {
  if (!Array.isArray(doc.prerequisites)) return []
  const out: Array<{ index: number, type: string, name: string }> = []
  doc.prerequisites.forEach((p, index) => {
    if (isMapping(p) && typeof p.type === 'string' && typeof p.name === 'string') out.push({ index, type: p.type, name: p.name })
  })
  return out
}

const ROLE_FIELDS: Array<[field: string, type: string]> = [['dockerImage', 'dockerimage'], ['data', 'data'], ['output', 'output'], ['script', 'script']]

export function checkReferences (doc: Record<string, unknown>): Problem[] {
  const problems: Problem[] = []
  const prerequisites = prerequisitesOf(doc)

  // 1. no two prerequisites with the same type and name
  const byKey = new Map<string, number>()
  for (const p of prerequisites) {
    const key = `${p.type}\u0000${p.name}`
    const first = byKey.get(key)
    if (first == null) byKey.set(key, p.index)
    else problems.push(error(`/prerequisites/${p.index}/name`, 'duplicate-prerequisite', `duplicate ${p.type} prerequisite \`${p.name}\` (first declared at /prerequisites/${first})`))
  }

  // 2. no two deployments with the same name
  const deployments = new Map<string, number>()
  if (Array.isArray(doc.deployments)) {
    doc.deployments.forEach((d, index) => {
      if (!isMapping(d) || typeof d.name !== 'string') return
      const first = deployments.get(d.name)
      if (first == null) deployments.set(d.name, index)
      else problems.push(error(`/deployments/${index}/name`, 'duplicate-deployment', `duplicate deployment \`${d.name}\` (first declared at /deployments/${first})`))
    })
  }

  // 3 and 4. every prerequisite a task role names exists (with the right type)
  const roles = isMapping(doc.taskRoles) ? doc.taskRoles : {}
  for (const [roleName, role] of Object.entries(roles)) {
    if (!isMapping(role)) continue
    const rolePath = childPath('/taskRoles', roleName)
    if (Array.isArray(role.prerequisites)) {
      role.prerequisites.forEach((name, i) => {
        if (typeof name === 'string' && !prerequisites.some(p => p.name === name)) {
          problems.push(error(`${rolePath}/prerequisites/${i}`, 'undeclared-prerequisite', `prerequisite \`${name}\` does not exist (declare it under /prerequisites)`))
        }
      })
    }
    for (const [field, type] of ROLE_FIELDS) {
      const name = role[field]
      if (typeof name !== 'string') continue
      if (prerequisites.some(p => p.type === type && p.name === name)) continue
      const other = prerequisites.find(p => p.name === name)
      const hint = other != null ? `; \`${name}\` is a ${other.type} prerequisite` : ''
      problems.push(error(`${rolePath}/${field}`, 'undeclared-prerequisite', `prerequisite \`${name}\` does not exist: \`${field}\` must name a prerequisite of type ${type}${hint}`))
    }
  }

  // 5. defaults.deployment names a deployment
  if (isMapping(doc.defaults) && typeof doc.defaults.deployment === 'string' && !deployments.has(doc.defaults.deployment)) {
    problems.push(error('/defaults/deployment', 'undeclared-deployment', `default deployment \`${doc.defaults.deployment}\` does not exist (no deployment has that name)`))
  }

  // OpenPAI silently ignores deployment entries for roles the job does not have: say so
  if (Array.isArray(doc.deployments)) {
    doc.deployments.forEach((d, index) => {
      if (!isMapping(d) || !isMapping(d.taskRoles)) return
      for (const roleName of Object.keys(d.taskRoles)) {
        if (!(roleName in roles)) {
          problems.push(warning(childPath(`/deployments/${index}/taskRoles`, roleName), 'unknown-task-role', `task role \`${roleName}\` does not exist; OpenPAI ignores these commands`))
        }
      }
    })
  }
  return problems
}
