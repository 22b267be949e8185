import { Ajv } from 'ajv'
import { LANGUAGES } from '../algorithms/languages.js'
import { InvalidWorkflowError } from './errors.js'
import type { WorkflowProblem } from './errors.js'

/** Seed 004's workflow file. */
export interface Workflow {
  source_info: { cluster_address: string }
  test_info?: { entrypoint: string, tests: WorkflowTest[] }
  algorithms: WorkflowAlgorithm[]
}

export interface WorkflowTest {
  name: string
  payload: unknown
  /** Seconds. */
  timeout?: number
}

export interface WorkflowAlgorithm {
  name: string
  code_path: string
  language: typeof LANGUAGES[number]
  data_files: string[]
  test_payload: unknown
}

const DATA_PATH = '^data://(\\.my|[a-z0-9][a-z0-9._-]{0,62})/[A-Za-z0-9][A-Za-z0-9._-]{0,127}/[^\\\\]+$'
const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'

export const WORKFLOW_SCHEMA = {
  type: 'object',
  required: ['source_info', 'algorithms'],
  additionalProperties: false,
  properties: {
    source_info: {
      type: 'object',
      required: ['cluster_address'],
      additionalProperties: false,
      properties: { cluster_address: { type: 'string', pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', maxLength: 2048 } }
    },
    test_info: {
      type: 'object',
      required: ['entrypoint', 'tests'],
      additionalProperties: false,
      properties: {
        entrypoint: { type: 'string', pattern: NAME },
        tests: {
          type: 'array',
          maxItems: 10_000,
          items: {
            type: 'object',
            required: ['name', 'payload'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 256 },
              payload: {},
              timeout: { type: 'number', exclusiveMinimum: 0, maximum: 3600 }
            }
          }
        }
      }
    },
    algorithms: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['name', 'code_path', 'language', 'data_files', 'test_payload'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: NAME },
          code_path: { type: 'string', pattern: DATA_PATH, maxLength: 1024 },
          language: { enum: [...LANGUAGES] },
          data_files: { type: 'array', maxItems: 1000, items: { type: 'string', pattern: DATA_PATH, maxLength: 1024 } },
          test_payload: {}
        }
      }
    }
  }
} as const

const ajv = new Ajv({ allErrors: true, strict: true })
const check = ajv.compile(WORKFLOW_SCHEMA)

function problemOf (e: { instancePath: string, keyword: string, params: any, message?: string }): WorkflowProblem {
  if (e.keyword === 'required') return { path: `${e.instancePath}/${e.params.missingProperty as string}`, message: 'required field missing' }
  if (e.keyword === 'additionalProperties') return { path: `${e.instancePath}/${e.params.additionalProperty as string}`, message: 'unknown field' }
  if (e.keyword === 'enum') return { path: e.instancePath, message: `must be one of ${(e.params.allowedValues as string[]).join(', ')}` }
  if (e.keyword === 'pattern') {
    const what = /code_path|data_files/.test(e.instancePath) ? 'a data API path: data://<user or .my>/<collection>/<path>'
      : /cluster_address/.test(e.instancePath) ? 'an http:// or https:// URL'
        : 'a name of letters, digits, . _ - (starting with a letter or digit)'
    return { path: e.instancePath, message: `must be ${what}` }
  }
  return { path: e.instancePath, message: e.message ?? 'invalid' }
}

/** Every problem of a parsed workflow (empty when it is valid). */
export function workflowProblems (value: unknown): WorkflowProblem[] {
  const problems: WorkflowProblem[] = []
  if (!check(value)) problems.push(...(check.errors ?? []).map(problemOf))
  const doc = value as Partial<Workflow> | null
  const algorithms = Array.isArray(doc?.algorithms) ? doc.algorithms : []
  const seen = new Map<string, number>()
  algorithms.forEach((a, i) => {
    if (typeof a?.name !== 'string') return
    const first = seen.get(a.name)
    if (first != null) problems.push({ path: `/algorithms/${i}/name`, message: `duplicate algorithm name "${a.name}" (also /algorithms/${first}/name)` })
    else seen.set(a.name, i)
  })
  const entrypoint = doc?.test_info?.entrypoint
  if (typeof entrypoint === 'string' && !seen.has(entrypoint)) {
    problems.push({ path: '/test_info/entrypoint', message: `"${entrypoint}" names no algorithm of this workflow (${[...seen.keys()].join(', ') || 'none'})` })
  }
  // one problem per path and message, in document order
  const unique = new Map(problems.map(p => [`${p.path}\n${p.message}`, p]))
  return [...unique.values()]
}

/** Parses and checks a workflow file's text; throws InvalidWorkflowError with every problem. */
export function parseWorkflow (text: string): Workflow {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err: any) {
    throw new InvalidWorkflowError([{ path: '', message: `not JSON: ${String(err?.message ?? err)}` }])
  }
  const problems = workflowProblems(value)
  if (problems.length > 0) throw new InvalidWorkflowError(problems)
  return value as Workflow
}
