/**
 * Template tags in a protocol: a malformed tag is an error (OpenPAI's renderer throws on it);
 * a reference to something the protocol does not declare is a warning (OpenPAI keeps the tag
 * unresolved); tags OpenPAI silently drops are warnings too.
 * Tags are read where OpenPAI renders them: task role commands, deployment pre/post commands
 * and docker image `auth` fields.
 */
import { TemplateSyntaxError } from './errors.js'
import { childPath } from './positions.js'
import { isMapping } from './references.js'
import { lookup, normalizeReference, parseTemplate } from './template.js'
import type { Problem } from './types.js'

const REFERENCE = /^\$?[A-Za-z_][\w-]*(?:\.[^.\s]+)*$/

/** The roots each place knows, and where a reference resolves. */
interface Scope {
  /** `$parameters`, `$secrets`, and for a role `$data`, `$output`, `$script`. */
  context: Record<string, unknown>
  /** Roots that exist in this place even when undeclared (resolved later, e.g. in the container). */
  roles?: { name: string, role: Record<string, unknown> }
  /** Docker auth fields are rendered with `$secrets` only. */
  secretsOnly?: boolean
}

function warning (path: string, rule: string, message: string): Problem {
  return { severity: 'warning', path, message, rule }
}

/** A problem with the text it is about (a tag), to find its exact line in the source. */
export interface TemplateProblem { problem: Problem, text: string }

function checkReference (reference: string, tag: string, path: string, scope: Scope, doc: Record<string, unknown>): Problem | undefined {
  if (reference === '') return warning(path, 'template-tag', `empty tag \`${tag}\`; OpenPAI keeps it as is`)
  if (!REFERENCE.test(reference)) return warning(path, 'template-tag', `\`${tag}\` is not a reference OpenPAI can resolve; it is kept as is`)
  const normal = normalizeReference(reference)
  const root = normal.split('.')[0]
  if (scope.secretsOnly === true && root !== '$secrets') {
    return warning(path, 'undeclared-reference', `\`${tag}\`: docker image auth fields are rendered with \`$secrets\` only; this tag is kept as is`)
  }
  switch (root) {
    case '$parameters':
    case '$secrets': {
      if (normal === root) return undefined
      if (lookup(scope.context, normal) != null) return undefined
      const kind = root === '$parameters' ? 'parameter' : 'secret'
      const key = normal.split('.')[1]
      const declared = isMapping(doc[kind + 's']) && Object.hasOwn(doc[kind + 's'] as object, key)
      return warning(path, `undeclared-${kind}`, declared
        ? `\`${tag}\`: ${kind} \`${key}\` has no value at \`${normal.slice(root.length + 1)}\`; OpenPAI keeps the tag unresolved`
        : `\`${tag}\`: ${kind} \`${key}\` is not declared under /${kind}s; OpenPAI keeps the tag unresolved`)
    }
    case '$data':
    case '$output':
    case '$script': {
      const field = root.slice(1)
      if (scope.roles == null) return warning(path, 'undeclared-reference', `\`${tag}\`: \`${root}\` is only set inside a task role`)
      if (typeof scope.roles.role[field] !== 'string') {
        return warning(path, 'undeclared-reference', `\`${tag}\`: task role \`${scope.roles.name}\` names no ${field} prerequisite (\`${field}:\`), so \`${root}\` is not set`)
      }
      if (normal === root || lookup(scope.context, normal) != null) return undefined
      return warning(path, 'undeclared-reference', `\`${tag}\`: the ${field} prerequisite \`${String(scope.roles.role[field])}\` has no \`${normal.slice(root.length + 1)}\`; OpenPAI keeps the tag unresolved`)
    }
    default:
      return warning(path, 'undeclared-reference', `\`${tag}\`: unknown template variable \`${root}\` (OpenPAI knows $parameters, $secrets, $data, $output, $script); it is kept as is`)
  }
}

function checkString (text: unknown, path: string, scope: Scope, doc: Record<string, unknown>, out: TemplateProblem[]): void {
  if (typeof text !== 'string' || !text.includes('<%')) return
  let tokens
  try {
    tokens = parseTemplate(text)
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err
    out.push({ problem: { severity: 'error', path, message: `template syntax: ${err.message}`, rule: 'template-syntax' }, text: text.slice(err.offset).split('\n')[0] })
    return
  }
  for (const token of tokens) {
    if (token.type === 'text') continue
    const tag = text.slice(token.start, token.end)
    if (token.type !== 'name') {
      if (token.type !== '/') out.push({ problem: warning(path, 'template-tag', `\`${tag}\`: OpenPAI drops section, comment, partial, unescaped and delimiter tags (and what a section holds)`), text: tag })
      continue
    }
    const problem = checkReference(token.value, tag, path, scope, doc)
    if (problem != null) out.push({ problem, text: tag })
  }
}

function prerequisite (doc: Record<string, unknown>, type: string, name: unknown): unknown {
  if (!Array.isArray(doc.prerequisites) || typeof name !== 'string') return undefined
  return doc.prerequisites.find(p => isMapping(p) && p.type === type && p.name === name)
}

function roleScope (doc: Record<string, unknown>, name: string, role: Record<string, unknown>): Scope {
  return {
    context: {
      $parameters: doc.parameters,
      $secrets: doc.secrets,
      $data: prerequisite(doc, 'data', role.data),
      $output: prerequisite(doc, 'output', role.output),
      $script: prerequisite(doc, 'script', role.script)
    },
    roles: { name, role }
  }
}

export function checkTemplates (doc: Record<string, unknown>): TemplateProblem[] {
  const out: TemplateProblem[] = []
  const roles = isMapping(doc.taskRoles) ? doc.taskRoles : {}
  for (const [name, role] of Object.entries(roles)) {
    if (!isMapping(role) || !Array.isArray(role.commands)) continue
    const scope = roleScope(doc, name, role)
    const base = childPath(childPath('/taskRoles', name), 'commands')
    role.commands.forEach((command, i) => { checkString(command, `${base}/${i}`, scope, doc, out) })
  }
  if (Array.isArray(doc.deployments)) {
    doc.deployments.forEach((deployment, d) => {
      if (!isMapping(deployment) || !isMapping(deployment.taskRoles)) return
      for (const [name, entry] of Object.entries(deployment.taskRoles)) {
        if (!isMapping(entry)) continue
        const role = roles[name]
        const scope: Scope = isMapping(role) ? roleScope(doc, name, role) : { context: { $parameters: doc.parameters, $secrets: doc.secrets } }
        for (const field of ['preCommands', 'postCommands']) {
          const list = entry[field]
          if (!Array.isArray(list)) continue
          const base = `${childPath(`/deployments/${d}/taskRoles`, name)}/${field}`
          list.forEach((command, i) => { checkString(command, `${base}/${i}`, scope, doc, out) })
        }
      }
    })
  }
  if (Array.isArray(doc.prerequisites)) {
    const scope: Scope = { context: { $secrets: doc.secrets }, secretsOnly: true }
    doc.prerequisites.forEach((p, i) => {
      if (!isMapping(p) || p.type !== 'dockerimage' || !isMapping(p.auth)) return
      for (const [field, value] of Object.entries(p.auth)) checkString(value, childPath(`/prerequisites/${i}/auth`, field), scope, doc, out)
    })
  }
  return out
}
