/** One problem as one line: `file:line:col: error|warning: path: message`. */
import type { Problem } from './types.js'

export function formatProblem (file: string, problem: Problem): string {
  const where = problem.line != null ? `${file}:${problem.line}:${problem.column ?? 1}` : file
  const path = problem.path === '' ? '' : `${problem.path}: `
  const rule = problem.rule != null ? ` [${problem.rule}]` : ''
  return `${where}: ${problem.severity}: ${path}${problem.message}${rule}`
}
