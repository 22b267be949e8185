import { PaipError } from '../errors.js'
import type { Problem } from './types.js'

/** A protocol failed validation: `problems` holds every error (and `warnings` the rest). */
export class ProtocolInvalidError extends PaipError {
  static name = 'ProtocolInvalidError'
  name = 'ProtocolInvalidError'
  readonly problems: Problem[]
  readonly warnings: Problem[]

  constructor (problems: Problem[], warnings: Problem[] = [], file?: string) {
    const first = problems[0]
    const where = first == null ? '' : `: ${first.path === '' ? '' : first.path + ': '}${first.message}`
    super(`${file == null ? 'protocol' : file} has ${problems.length} error(s)${where}`, 'invalid-input', { errors: problems, warnings })
    this.problems = problems
    this.warnings = warnings
  }
}

/** A template (`<% ... %>`) could not be parsed: an unclosed tag or an unbalanced section. */
export class TemplateSyntaxError extends PaipError {
  static name = 'TemplateSyntaxError'
  name = 'TemplateSyntaxError'
  /** Offset of the problem in the template text. */
  readonly offset: number

  constructor (message: string, offset: number) {
    super(message, 'invalid-input', { offset })
    this.offset = offset
  }
}
