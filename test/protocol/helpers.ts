import { dump } from 'js-yaml'
import { fileURLToPath } from 'node:url'
import { validateProtocol } from '../../src/protocol/index.js'
import type { Problem, ValidateOptions, ValidationResult } from '../../src/protocol/index.js'

/** The source tree's root (tests run from dist/test/protocol). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const CORPUS = `${ROOT}test/fixtures/protocols`
export const EXAMPLES = `${ROOT}protocols`

/** A small valid protocol, as an object to change and dump. */
export function minimal (): any {
  return {
    protocolVersion: 2,
    name: 'mnist',
    type: 'job',
    prerequisites: [{ name: 'image', type: 'dockerimage', uri: 'python:3.12-slim' }],
    taskRoles: {
      train: {
        instances: 1,
        dockerImage: 'image',
        resourcePerInstance: { cpu: 1, memoryMB: 1024, gpu: 0 },
        commands: ['python train.py']
      }
    }
  }
}

/** Validates an object (dumped to YAML) or YAML text. */
export function check (doc: unknown, options: ValidateOptions = {}): ValidationResult {
  return validateProtocol(typeof doc === 'string' ? doc : dump(doc), options)
}

/** `minimal()` with one change applied, validated. */
export function checkWith (change: (doc: any) => void, options: ValidateOptions = {}): ValidationResult {
  const doc = minimal()
  change(doc)
  return check(doc, options)
}

/** The problems at a path (of any severity). */
export function at (result: ValidationResult, path: string): Problem[] {
  return [...result.errors, ...result.warnings].filter(p => p.path === path)
}

export function describeProblems (result: ValidationResult): string {
  return JSON.stringify([...result.errors, ...result.warnings].map(p => `${p.severity} ${p.line ?? '?'}:${p.column ?? '?'} ${p.path} ${p.message} [${p.rule}]`), null, 2)
}
