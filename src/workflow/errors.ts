import { PaipError } from '../errors.js'

/** One problem in a workflow file, at its JSON path (a JSON pointer, e.g. `/algorithms/1/name`). */
export interface WorkflowProblem {
  path: string
  message: string
}

/** A workflow file that is not JSON or does not match the workflow schema. */
export class InvalidWorkflowError extends PaipError {
  static name = 'InvalidWorkflowError'
  name = 'InvalidWorkflowError'
  constructor (readonly problems: WorkflowProblem[]) {
    super(`${problems.length} problem(s) in the workflow: ${problems.slice(0, 5).map(p => `${p.path === '' ? '/' : p.path}: ${p.message}`).join('; ')}`, 'invalid-input', { problems })
  }
}

/** The workflow's settings (environment) are missing or wrong. */
export class WorkflowConfigError extends PaipError {
  static name = 'WorkflowConfigError'
  name = 'WorkflowConfigError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A step of a workflow run failed: which one, and the error it failed with. */
export class WorkflowStepError extends PaipError {
  static name = 'WorkflowStepError'
  name = 'WorkflowStepError'
  constructor (readonly step: string, readonly cause: Error & { kind?: PaipError['kind'] }, details?: unknown) {
    super(`${step} failed: ${cause.message}`, cause.kind ?? 'internal', details)
  }
}
