/** One problem as one line: `file:line:col: error|warning: path: message`. */
import type { Problem } from './types.js'

export interface FormatOptions {
  /** Append the rule id, ` [rule]`. */
  rule?: boolean
}

export function formatProblem (file: string, problem: Problem, options: FormatOptions = {}): string {
  const where = problem.line != null ? `${file}:${problem.line}:${problem.column ?? 1}` : file
  const path = problem.path === '' ? '' : `${problem.path}: `
  const rule = options.rule === true && problem.rule != null ? ` [${problem.rule}]` : ''
  return `${where}: ${problem.severity}: ${path}${problem.message}${rule}`
}
