import { renderTaskRoleCommands, validateProtocol } from '../protocol/index.js'
import { JobProtocolInvalidError } from './errors.js'
import type { Protocol } from '../protocol/index.js'

/** The parts of an OpenPAI v2 protocol the runner uses. */
export interface TaskRole {
  name: string
  instances: number
  commands: string[]
  /** The image URI of the role's `dockerImage` prerequisite. */
  dockerImage?: string
  /** Registry credentials of that prerequisite (`<% $secrets.x %>` tags unrendered). */
  auth?: { username?: string, password?: string, registryuri?: string }
  resourcePerInstance?: Record<string, unknown>
  taskRetryCount: number
  /** Prerequisite objects the role selects, for `$data`, `$output`, `$script`. */
  data?: unknown
  output?: unknown
  script?: unknown
}

export interface RunnableProtocol {
  /** The validated document (for rendering commands). */
  doc: Protocol
  name: string
  taskRoles: TaskRole[]
  parameters: Record<string, string>
  secrets: Record<string, string>
  jobRetryCount: number
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringMap (value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObject(value)) return out
  for (const [k, v] of Object.entries(value)) {
    if (v != null) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  return out
}

function imageOf (prerequisite: unknown): { dockerImage?: string, auth?: TaskRole['auth'] } {
  if (!isObject(prerequisite) || typeof prerequisite.uri !== 'string' || prerequisite.uri === '') return {}
  const auth = isObject(prerequisite.auth) ? stringMap(prerequisite.auth) : undefined
  return { dockerImage: prerequisite.uri, ...(auth == null ? {} : { auth }) }
}

function count (value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback
}

/**
 * Validates a protocol (with the protocol component's validator) and extracts what the runner
 * needs. Throws JobProtocolInvalidError listing the problems.
 */
const cache = new Map<string, RunnableProtocol>()
const CACHE_ENTRIES = 64

/** parseRunnable, remembering the last few protocols (a queue often runs the same one). */
export async function parseRunnable (text: string): Promise<RunnableProtocol> {
  const hit = cache.get(text)
  if (hit != null) return hit
  const parsed = await parseUncached(text)
  cache.set(text, parsed)
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string)
  return parsed
}

async function parseUncached (text: string): Promise<RunnableProtocol> {
  const result = validateProtocol(text, { file: 'job protocol' })
  if (!result.ok || !isObject(result.protocol)) {
    const problems = result.errors.length > 0 ? result.errors : [{ severity: 'error', path: '', message: 'not a protocol document' }]
    throw new JobProtocolInvalidError(`invalid protocol: ${problems.map(p => `${p.path === '' ? '' : p.path + ': '}${p.message}`).join('; ')}`, { errors: problems })
  }
  const doc = result.protocol
  const problems: string[] = []
  if (doc.type != null && doc.type !== 'job') problems.push('/type: only `job` protocols can run')
  if (typeof doc.name !== 'string' || doc.name === '') problems.push('/name: missing')
  const prerequisites = Array.isArray(doc.prerequisites) ? doc.prerequisites.filter(isObject) : []
  const named = (kind: string, name: unknown): unknown => prerequisites.find(p => p.type === kind && p.name === name)
  const roles: TaskRole[] = []
  if (!isObject(doc.taskRoles) || Object.keys(doc.taskRoles).length === 0) {
    problems.push('/taskRoles: a job needs at least one task role')
  } else {
    for (const [name, role] of Object.entries(doc.taskRoles)) {
      if (!isObject(role)) { problems.push(`/taskRoles/${name}: not an object`); continue }
      const commands = role.commands
      if (!Array.isArray(commands) || commands.length === 0 || !commands.every(c => typeof c === 'string')) {
        problems.push(`/taskRoles/${name}/commands: a list of command strings is required`)
        continue
      }
      roles.push({
        name,
        instances: count(role.instances, 1),
        commands,
        ...imageOf(named('dockerimage', role.dockerImage)),
        resourcePerInstance: isObject(role.resourcePerInstance) ? role.resourcePerInstance : undefined,
        taskRetryCount: count(role.taskRetryCount, 0),
        data: named('data', role.data),
        output: named('output', role.output),
        script: named('script', role.script)
      })
    }
  }
  for (const role of roles) {
    try {
      renderTaskRoleCommands(doc as unknown as Protocol, role.name, {})
    } catch (err: any) {
      problems.push(`/taskRoles/${role.name}/commands: ${err?.message ?? err}`)
    }
  }
  if (problems.length > 0) {
    throw new JobProtocolInvalidError(`invalid protocol: ${problems.join('; ')}`, { errors: problems.map(message => ({ severity: 'error', path: message.split(':')[0], message })) })
  }
  return {
    doc: doc as unknown as Protocol,
    name: doc.name as string,
    taskRoles: roles,
    parameters: stringMap(doc.parameters),
    secrets: stringMap(doc.secrets),
    jobRetryCount: count(doc.jobRetryCount, 0)
  }
}
