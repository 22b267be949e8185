import { Ajv } from 'ajv'
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from './constants.js'
import { InvalidMetadataError, InvalidTagError } from './errors.js'

/** The two kinds of catalog entries. */
export type EntryKind = 'dataset' | 'model'
export const KINDS: readonly EntryKind[] = ['dataset', 'model']

/** Metadata common to datasets and models, as the user gives it. */
export interface CommonMetadata {
  name: string
  /** `#` + lower-case words joined by `-` (given in any case: `#MNIST` is stored as `#mnist`). */
  tags: string[]
  description?: string
  license?: string
  /** Files may be fetched by other nodes (default false: they never leave this node). */
  public?: boolean
}

export interface DatasetMetadata extends CommonMetadata {
  /** File format of the data, e.g. `csv`, `parquet`, `idx`, `png`. */
  format?: string
}

/** Seed 003: framework, task, and what an evaluation needs to run the model on a dataset. */
export interface ModelMetadata extends CommonMetadata {
  /** e.g. `transformers`, `pytorch`, `tensorflow`, `onnx`, `sklearn`. */
  framework: string
  /** e.g. `image-classification`, `text-classification`, `regression`. */
  task: string
  /** The file (path inside the model) an evaluation runs or loads. */
  entrypoint?: string
  /** Format of the data the model takes (matched against a dataset's `format`). */
  inputFormat?: string
  /** Output labels of a classifier. */
  labels?: string[]
}

export type Metadata = DatasetMetadata | ModelMetadata

const TAG = /^#[a-z0-9]+(?:-[a-z0-9]+)*$/
const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]*$'
const WORD = '^[a-z0-9][a-z0-9._+-]*$'

/** Normalises a tag to lower case and checks its form; throws InvalidTagError. */
export function normalizeTag (tag: unknown): string {
  if (typeof tag !== 'string') throw new InvalidTagError(String(tag))
  const lower = tag.trim().toLowerCase()
  if (lower.length > MAX_TAG_LENGTH || !TAG.test(lower)) throw new InvalidTagError(tag)
  return lower
}

/** Splits `'#MNIST,#digits'` (or an array of such) into normalised, de-duplicated tags. */
export function parseTags (input: string | string[] | undefined): string[] {
  if (input == null) return []
  const parts = (Array.isArray(input) ? input : [input]).flatMap(s => s.split(/[,\s]+/)).filter(s => s !== '')
  return [...new Set(parts.map(normalizeTag))]
}

const common = {
  name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: NAME },
  tags: { type: 'array', maxItems: MAX_TAGS, uniqueItems: true, items: { type: 'string', maxLength: MAX_TAG_LENGTH, pattern: TAG.source } },
  description: { type: 'string', maxLength: MAX_DESCRIPTION_LENGTH },
  license: { type: 'string', minLength: 1, maxLength: 128 },
  public: { type: 'boolean' }
} as const

const schemas = {
  dataset: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'tags'],
    properties: {
      ...common,
      format: { type: 'string', minLength: 1, maxLength: 64, pattern: WORD }
    }
  },
  model: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'tags', 'framework', 'task'],
    properties: {
      ...common,
      framework: { type: 'string', minLength: 1, maxLength: 64, pattern: WORD },
      task: { type: 'string', minLength: 1, maxLength: 64, pattern: WORD },
      entrypoint: { type: 'string', minLength: 1, maxLength: 1024 },
      inputFormat: { type: 'string', minLength: 1, maxLength: 64, pattern: WORD },
      labels: { type: 'array', maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 256 } }
    }
  }
}

const ajv = new Ajv({ allErrors: true, strict: true })
const validators = {
  dataset: ajv.compile(schemas.dataset),
  model: ajv.compile(schemas.model)
}

/**
 * Checks metadata against its kind's schema, after normalising tags (case) and filling
 * defaults. Throws InvalidMetadataError (or InvalidTagError) naming every problem.
 */
export function validateMetadata (kind: EntryKind, input: unknown): Metadata {
  if (input == null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidMetadataError(`${kind} metadata must be an object`)
  }
  const value: Record<string, unknown> = { ...(input as Record<string, unknown>) }
  if (value.tags === undefined) value.tags = []
  if (Array.isArray(value.tags)) value.tags = parseTags(value.tags.map(t => typeof t === 'string' ? t : normalizeTag(t)))
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key]
  const validate = validators[kind]
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(e => {
      const where = e.instancePath === '' ? kind : `${kind}${e.instancePath.replaceAll('/', '.')}`
      if (e.keyword === 'required') return `${kind}.${(e.params as any).missingProperty}: required`
      if (e.keyword === 'additionalProperties') return `${kind}.${(e.params as any).additionalProperty}: unknown field`
      return `${where}: ${e.message ?? 'invalid'}`
    })
    throw new InvalidMetadataError(`invalid ${kind} metadata: ${problems.join('; ')}`, problems)
  }
  return value as unknown as Metadata
}

/** Checks a kind given from outside. */
export function parseKind (value: unknown): EntryKind {
  if (value === 'dataset' || value === 'model') return value
  throw new InvalidMetadataError(`unknown kind ${JSON.stringify(value)}: dataset or model`)
}
