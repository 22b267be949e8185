/**
 * OpenPAI's template tags, `<% $parameters.x %>`, read the way its REST server reads them:
 * mustache's parser with `<%`/`%>` delimiters (pai `middlewares/v2/protocol.js` `render()`).
 * Only text and plain references are kept; sections, comments, partials and unescaped tags
 * are dropped; a reference that does not resolve is written back as `<% token %>`; values are
 * inserted without HTML escaping. An unclosed tag or unbalanced section is a syntax error.
 */
import { CLOSE_TAG, OPEN_TAG } from './constants.js'
import { TemplateSyntaxError } from './errors.js'

export type TemplateTokenType = 'text' | 'name' | '#' | '^' | '/' | '!' | '>' | '&' | '=' | '{'

export interface TemplateToken {
  type: TemplateTokenType
  /** The text, or the tag's content (trimmed). */
  value: string
  /** Offsets of the token in the template. */
  start: number
  end: number
}

const TAG_TYPES = new Set(['#', '^', '/', '!', '>', '&', '=', '{'])
const WHITE = /\s/

function skipWhite (text: string, pos: number): number {
  while (pos < text.length && WHITE.test(text[pos])) pos++
  return pos
}

/** Position of `close` (after any whitespace before it) at or after `pos`, or -1. */
function findClose (text: string, close: string, pos: number): { valueEnd: number, end: number } | undefined {
  const at = text.indexOf(close, pos)
  if (at < 0) return undefined
  let valueEnd = at
  while (valueEnd > pos && WHITE.test(text[valueEnd - 1])) valueEnd--
  return { valueEnd, end: at + close.length }
}

/**
 * Tokenizes a template as mustache 2.3 does (flat: section contents stay in the list).
 * Throws TemplateSyntaxError for an unclosed tag, an unbalanced section or bad delimiters.
 */
export function parseTemplate (text: string): TemplateToken[] {
  const tokens: TemplateToken[] = []
  const sections: TemplateToken[] = []
  let open = OPEN_TAG
  let close = CLOSE_TAG
  let pos = 0
  while (pos < text.length) {
    const at = text.indexOf(open, pos)
    if (at < 0) {
      tokens.push({ type: 'text', value: text.slice(pos), start: pos, end: text.length })
      break
    }
    if (at > pos) tokens.push({ type: 'text', value: text.slice(pos, at), start: pos, end: at })
    let cursor = skipWhite(text, at + open.length)
    let type: TemplateTokenType = 'name'
    if (TAG_TYPES.has(text[cursor])) { type = text[cursor] as TemplateTokenType; cursor = skipWhite(text, cursor + 1) }
    let closing = close
    if (type === '=') closing = '=' + close
    if (type === '{') closing = '}' + close
    const found = findClose(text, closing, cursor)
    if (found == null) throw new TemplateSyntaxError(`unclosed tag \`${text.slice(at, at + 40).split('\n')[0]}\`: no \`${closing}\` after it`, at)
    let value = text.slice(cursor, found.valueEnd)
    if (type === '=') value = value.replace(/\s*=$/, '')
    const token: TemplateToken = { type, value, start: at, end: found.end }
    tokens.push(token)
    if (type === '#' || type === '^') {
      sections.push(token)
    } else if (type === '/') {
      const opened = sections.pop()
      if (opened == null) throw new TemplateSyntaxError(`section \`${value}\` is closed but was never opened`, at)
      if (opened.value !== value) throw new TemplateSyntaxError(`section \`${opened.value}\` is not closed (found the end of \`${value}\`)`, opened.start)
    } else if (type === '=') {
      const tags = value.trim().split(/\s+/)
      if (tags.length !== 2 || tags[0] === '' || tags[1] === '') throw new TemplateSyntaxError(`invalid delimiters \`${value}\``, at)
      ;[open, close] = tags
    }
    pos = found.end
  }
  const unclosed = sections.pop()
  if (unclosed != null) throw new TemplateSyntaxError(`section \`${unclosed.value}\` is not closed`, unclosed.start)
  return tokens
}

/** `a.b[0]` as OpenPAI looks it up: `a.b.0`. */
export function normalizeReference (reference: string): string {
  return reference.replace(/\[(\d+)\]/g, '.$1')
}

/** Looks a dotted name up in a context, as mustache does; undefined when any step is missing. */
export function lookup (context: Record<string, unknown>, reference: string): unknown {
  const names = normalizeReference(reference).split('.')
  let value: unknown = context
  for (const name of names) {
    if (value == null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined
    value = (value as Record<string, unknown>)[name]
  }
  return value
}

/** Values for `$parameters`, `$secrets`, `$data`, `$output` and `$script`. */
export interface TemplateVariables {
  parameters?: Record<string, unknown>
  /** Leave out to keep `<% $secrets.x %>` tags as they are (OpenPAI's server does). */
  secrets?: Record<string, unknown>
  /** The prerequisite objects the task role selects (`data:`, `output:`, `script:`). */
  data?: unknown
  output?: unknown
  script?: unknown
  /** Any other roots, by their literal name (e.g. `{ $env: {...} }`). */
  [root: string]: unknown
}

function contextOf (variables: TemplateVariables): Record<string, unknown> {
  const context: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(variables)) {
    if (value === undefined) continue
    context[key.startsWith('$') ? key : `$${key}`] = value
  }
  return context
}

/**
 * Renders `<% $parameters.x %>`-style tags the way OpenPAI does: known references are replaced
 * by their values (no escaping; `0` and `false` print, `null`/missing do not resolve), unknown
 * ones are kept as `<% token %>`, and sections, comments and other special tags are dropped.
 * Throws TemplateSyntaxError for an unclosed tag or unbalanced section.
 *
 * ```ts
 * renderTemplate('python train.py --lr <% $parameters.lr %>', { parameters: { lr: 0.1 } })
 * // 'python train.py --lr 0.1'
 * ```
 */
export function renderTemplate (text: string, variables: TemplateVariables = {}): string {
  if (!text.includes(OPEN_TAG)) return text
  const context = contextOf(variables)
  let out = ''
  let depth = 0
  for (const token of parseTemplate(text)) {
    if (token.type === '#' || token.type === '^') { depth++; continue }
    if (token.type === '/') { depth--; continue }
    if (depth > 0) continue
    if (token.type === 'text') out += token.value
    else if (token.type === 'name') {
      const reference = normalizeReference(token.value)
      const value = lookup(context, reference)
      out += value == null ? `${OPEN_TAG} ${reference} ${CLOSE_TAG}` : String(value)
    }
  }
  return out
}
