/** Checks a parsed document against the server's schema (ajv) and turns ajv errors into problems. */
import { Ajv } from 'ajv'
import { ROLE_PATTERN } from './constants.js'
import { childPath } from './positions.js'
import { protocolSchema } from './schema.js'
import type { Problem } from './types.js'
import type { ErrorObject, ValidateFunction } from 'ajv'

let compiled: ValidateFunction | undefined

/** The compiled schema (compiled once, on first use; it is a pure function). */
function validator (): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true }).compile(protocolSchema)
  return compiled
}

function kindOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Date) return 'a date'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number'
  return `a ${typeof value}`
}

const typeNames: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  null: 'null',
  boolean: 'a boolean'
}

function namesOf (types: string | string[]): string {
  return (Array.isArray(types) ? types : [types]).map(t => typeNames[t] ?? t).join(' or ')
}

/** Mappings whose keys are names (task roles, port labels) rather than fixed fields. */
const PATTERNED = /^\/taskRoles$|^\/deployments\/\d+\/taskRoles$|\/resourcePerInstance\/ports$/

function describe (error: ErrorObject, value: unknown): { path: string, message: string } {
  const path = error.instancePath
  const p = error.params as any
  switch (error.keyword) {
    case 'required':
      return { path, message: `missing required field \`${p.missingProperty}\`` }
    case 'additionalProperties': {
      const key = String(p.additionalProperty)
      const patterned = PATTERNED.test(path)
      return {
        path: childPath(path, key),
        message: patterned
          ? `\`${key}\` is not a valid name here (it must match ${ROLE_PATTERN})`
          : `unknown field \`${key}\` (not allowed here)`
      }
    }
    case 'type':
      if (path === '') return { path, message: `a protocol is a YAML mapping of fields, but this document is ${kindOf(value)}` }
      return { path, message: `must be ${namesOf(p.type)}, not ${kindOf(value)}` }
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value) ?? kindOf(value)}` }
    case 'pattern':
      return { path, message: `\`${String(value)}\` does not match ${p.pattern}` }
    case 'maxLength':
      return { path, message: `is longer than ${p.limit} characters` }
    case 'minItems':
      return { path, message: `must have at least ${p.limit} item(s)` }
    case 'minProperties':
      return { path, message: `must have at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}` }
    case 'minimum':
      return { path, message: `must be at least ${p.limit}, not ${String(value)}` }
    default:
      return { path, message: error.message ?? error.keyword }
  }
}

/** Value at a JSON pointer made by ajv (segments escaped per RFC 6901). */
function valueAt (doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc
  let value: any = doc
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (value == null || typeof value !== 'object') return undefined
    value = value[key]
  }
  return value
}

/** Every way the document departs from the server's schema, as error problems without positions. */
export function checkShape (doc: unknown): Problem[] {
  const validate = validator()
  if (validate(doc)) return []
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'if') continue
    const { path, message } = describe(error, valueAt(doc, error.instancePath))
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({ severity: 'error', path, message, rule: 'schema' })
  }
  return problems
}
