/** Validation of one protocol: decode → safe YAML → server schema → references → templates → spec. */
import { MAX_PROTOCOL_BYTES, MAX_YAML_ALIASES, MAX_YAML_DEPTH, MAX_YAML_NODES } from './constants.js'
import { decodeProtocolText } from './decode.js'
import { ProtocolInvalidError } from './errors.js'
import { checkReferences, isMapping } from './references.js'
import { checkShape } from './shape.js'
import { checkSpec } from './spec.js'
import { checkTemplates } from './template-check.js'
import { parseYaml } from './yaml.js'
import type { SourceMap } from './positions.js'
import type { Problem, Protocol, ValidateOptions, ValidationResult } from './types.js'

function byPosition (a: Problem, b: Problem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
}

function finish (problems: Problem[], map: SourceMap | undefined, protocol?: unknown): ValidationResult {
  for (const problem of problems) {
    if (problem.line != null || map == null) continue
    const at = map.locate(problem.path)
    if (at != null) { problem.line = at.line; problem.column = at.column }
  }
  const errors = problems.filter(p => p.severity === 'error').sort(byPosition)
  const warnings = problems.filter(p => p.severity === 'warning').sort(byPosition)
  const result: ValidationResult = { ok: errors.length === 0, errors, warnings }
  if (protocol !== undefined) result.protocol = protocol as Record<string, unknown>
  return result
}

/**
 * Validates an OpenPAI job protocol (YAML text or its bytes) as OpenPAI's REST server would,
 * plus template, spec and hived checks as warnings (`strict` makes the spec's rules errors).
 * Never throws for bad input: every problem carries a path, a message, a rule and, when it can
 * be found, the line and column.
 */
export function validateProtocol (input: Uint8Array | string, options: ValidateOptions = {}): ValidationResult {
  const decoded = decodeProtocolText(input, options.maxBytes ?? MAX_PROTOCOL_BYTES)
  if (!decoded.ok) return finish([decoded.problem], undefined)
  const parsed = parseYaml(decoded.text, {
    maxNodes: options.maxNodes ?? MAX_YAML_NODES,
    maxDepth: options.maxDepth ?? MAX_YAML_DEPTH,
    maxAliases: MAX_YAML_ALIASES
  })
  if (!parsed.ok) return finish([parsed.problem], parsed.map)
  const doc = parsed.value
  const problems = checkShape(doc)
  if (isMapping(doc)) {
    problems.push(...checkReferences(doc))
    for (const { problem, text } of checkTemplates(doc)) {
      // the tag itself, when it can be found in the source (a block of commands spans lines)
      const at = parsed.map.locateText(problem.path, text)
      if (at != null) { problem.line = at.line; problem.column = at.column }
      problems.push(problem)
    }
    for (const problem of checkSpec(doc)) {
      if (options.strict === true && problem.rule === 'spec') problem.severity = 'error'
      problems.push(problem)
    }
  }
  return finish(problems, parsed.map, doc)
}

/**
 * Parses and validates a protocol, returning it typed; throws ProtocolInvalidError (with every
 * problem in `.problems` and the warnings in `.warnings`) when it has any error.
 */
export function parseProtocol (input: Uint8Array | string, options: ValidateOptions = {}): Protocol {
  const result = validateProtocol(input, options)
  if (!result.ok || result.protocol == null) throw new ProtocolInvalidError(result.errors, result.warnings, options.file)
  return result.protocol as Protocol
}
