/**
 * OpenPAI job protocols (v2): parsing and validation.
 * STUB: the contract other components code against; the real validator replaces the body.
 */
import yaml from 'js-yaml'

export interface Problem {
  severity: 'error' | 'warning'
  /** JSON-pointer-like path of the field, e.g. `/taskRoles/train/commands`. */
  path: string
  message: string
  /** 1-based line in the YAML source, when known. */
  line?: number
  column?: number
  /** A short stable rule id, e.g. `schema`, `yaml-syntax`, `undeclared-prerequisite`. */
  rule?: string
}

export interface ValidateOptions {
  /** The file's name, for messages. */
  file?: string
  /** Report the published spec's stricter rules as errors instead of warnings. */
  strict?: boolean
  /** Size cap in bytes (default 1 MiB). */
  maxBytes?: number
}

export interface ValidationResult {
  ok: boolean
  errors: Problem[]
  warnings: Problem[]
  /** The parsed protocol, when it parsed at all. */
  protocol?: Record<string, unknown>
}

export function validateProtocol (input: Uint8Array | string, options: ValidateOptions = {}): ValidationResult {
  void options
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input)
  try {
    const protocol = yaml.load(text) as Record<string, unknown>
    return { ok: true, errors: [], warnings: [], protocol }
  } catch (err: any) {
    return { ok: false, errors: [{ severity: 'error', path: '', message: err.message, rule: 'yaml-syntax' }], warnings: [] }
  }
}
