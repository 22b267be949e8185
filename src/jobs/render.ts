/**
 * A small renderer for OpenPAI's `<% $parameters.x %>` / `<% $secrets.x %>` templates in
 * commands (local to jobs until the protocol component exports one). Like OpenPAI's: values
 * are inserted as they are (no escaping), `a.b[0]` indexing works, `0` and `false` print, and
 * an unresolved reference is kept as `<% token %>`.
 */

const TAG = /<%\s*([\s\S]*?)\s*%>/g

export type TemplateContext = Record<string, unknown>

function lookup (context: TemplateContext, token: string): unknown {
  const path = token.replace(/\[(\d+)\]/g, '.$1').split('.')
  let value: unknown = context
  for (const part of path) {
    if (value == null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

export function renderTemplate (text: string, context: TemplateContext): string {
  return text.replace(TAG, (whole, token: string) => {
    if (!token.startsWith('$')) return whole
    const value = lookup(context, token)
    if (value == null) return `<% ${token.replace(/\[(\d+)\]/g, '.$1')} %>`
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  })
}
