import { validateProtocol } from '../../protocol/index.js'
import type { ApiRoute } from '../route.js'

const MAX_PROTOCOL_CHARS = 1024 * 1024

const problem = {
  type: 'object',
  properties: {
    severity: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' },
    line: { type: 'integer' }, column: { type: 'integer' }, rule: { type: 'string' }
  }
} as const

/**
 * `POST /api/v1/protocols/validate` `{ protocol: "<YAML>" }`: the problems `paip validate`
 * reports (errors and warnings, each with its line when known). Stores nothing.
 */
export const validateRoutes: ApiRoute = (app, { access }) => {
  app.post('/api/v1/protocols/validate', {
    onRequest: access.readAccess,
    schema: {
      summary: 'validate an OpenPAI protocol as `paip validate` does',
      body: { type: 'object', required: ['protocol'], properties: { protocol: { type: 'string', maxLength: MAX_PROTOCOL_CHARS }, strict: { type: 'boolean' } } },
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, name: { type: 'string' }, errors: { type: 'array', items: problem }, warnings: { type: 'array', items: problem } } } }
    }
  }, async request => {
    const { protocol, strict } = request.body as { protocol: string, strict?: boolean }
    const result = validateProtocol(protocol, { strict })
    const name = result.protocol?.name
    return { ok: result.ok, ...(typeof name === 'string' ? { name } : {}), errors: result.errors, warnings: result.warnings }
  })
}
