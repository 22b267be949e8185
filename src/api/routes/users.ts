import { InvalidArgumentError } from '../../errors.js'
import { DEFAULT_ROLES, SIGN_UP_ROLES, SignUpClosedError, isAdmin } from '../../users/index.js'
import { UnauthorizedError } from '../errors.js'
import type { Users } from '../../users/index.js'
import type { ApiRoute } from '../route.js'

/** What the user routes use. */
export interface UserRouteComponents {
  users: Users
  /** Sign-up is open when the node's config says `users.signUp: true`. */
  config: { users: { signUp: boolean } }
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

const passwordBody = {
  type: 'object',
  required: ['password'],
  properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } }
} as const

const userParams = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 64 } }
} as const

/**
 * Seed 000's user routes:
 * - `PUT /repo/user/:user` `{ password }`: creates a user (the admin, or anyone when sign-up is open);
 * - `POST /repo/auth/:user` `{ password }`: a bearer token with its expiry (401 on a wrong
 *   password; repeated failures are slowed down);
 * - `DELETE /repo/auth`: revokes the bearer token the request carries;
 * - `GET /api/v1/whoami`: whom the request's token speaks for (`{ user: null }` without one).
 */
export const userRoutes: ApiRoute<UserRouteComponents> = (app, { components, access }) => {
  app.put('/repo/user/:user', { schema: { body: passwordBody, params: userParams } }, async (request, reply) => {
    const principal = await access.principalOf(request)
    const admin = isAdmin(principal)
    if (!admin && !components.config.users.signUp) {
      if (principal == null) throw new UnauthorizedError('creating users needs the node admin\'s token (sign-up is closed)')
      throw new SignUpClosedError()
    }
    const { user } = request.params as { user: string }
    const { password } = request.body as { password: string }
    // the admin's users may publish and read; who signs up may only publish
    const created = await components.users.create(user, password, { roles: admin ? DEFAULT_ROLES : SIGN_UP_ROLES })
    void reply.status(201)
    return { user: created.name, created: new Date(created.created).toISOString(), roles: created.roles }
  })

  app.post('/repo/auth/:user', { schema: { body: passwordBody, params: userParams } }, async request => {
    const { user } = request.params as { user: string }
    const { password } = request.body as { password: string }
    const signal = AbortSignal.any([AbortSignal.timeout(30_000), components.shutdownSignal])
    const result = await components.users.login(user, password, { signal, address: request.ip })
    return { user: result.user, token: result.token, expires: new Date(result.expires).toISOString() }
  })

  app.delete('/repo/auth', { onRequest: access.requireWrite }, async request => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    if (match == null) throw new InvalidArgumentError('no bearer token to revoke')
    if (request.principal?.kind !== 'user') throw new InvalidArgumentError('only user tokens can be revoked (the admin token is the home\'s `token` file)')
    await components.users.revoke(match[1])
    return { revoked: true }
  })

  app.get('/api/v1/whoami', async request => {
    const principal = await access.principalOf(request)
    if (principal == null) return { user: null, kind: 'anonymous' }
    return { ...principal, user: principal.name }
  })
}
