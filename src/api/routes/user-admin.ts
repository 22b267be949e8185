import { UserNotFoundError, checkGroups, checkRole, checkRoles } from '../../users/index.js'
import type { UserInfo } from '../../users/index.js'
import type { Users } from '../../users/index.js'
import type { ApiRoute } from '../route.js'

const userParams = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 64 } }
} as const

const roleParams = {
  type: 'object',
  required: ['user', 'role'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', minLength: 1, maxLength: 64 } }
} as const

const createBody = {
  type: 'object',
  required: ['name', 'password'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    roles: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 64 } },
    groups: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } }
  }
} as const

const groupsBody = {
  type: 'object',
  required: ['groups'],
  additionalProperties: false,
  properties: { groups: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } } }
} as const

const rolesBody = {
  type: 'object',
  required: ['roles'],
  additionalProperties: false,
  properties: { roles: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', maxLength: 64 } } }
} as const

/** A user as the API answers it (never its password hash). */
export function userJson (user: UserInfo): { name: string, roles: string[], groups: string[], created: string } {
  return { name: user.name, roles: user.roles, groups: user.groups, created: new Date(user.created).toISOString() }
}

/**
 * The node admin's user management (admin token, or a user with the `admin` role):
 * - `GET /api/v1/users`: every user with its roles;
 * - `POST /api/v1/users` `{ name, password, roles?, groups? }`: a new user (default roles `publish`, `read`, no groups);
 * - `PUT /api/v1/users/:user/groups` `{ groups }`: sets the groups the user belongs to;
 * - `GET /api/v1/users/:user`;
 * - `POST /api/v1/users/:user/roles` `{ roles }` grants, `DELETE /api/v1/users/:user/roles` `{ roles }`
 *   revokes, `PUT`/`DELETE /api/v1/users/:user/roles/:role` one role;
 * - `DELETE /api/v1/users/:user`: removes the user (its tokens stop working; what it owns stays, under its name).
 */
export const userAdminRoutes: ApiRoute<{ users: Users }> = (app, { components, access }) => {
  const guard = { onRequest: access.requireAdmin }

  app.get('/api/v1/users', guard, async () => ({ users: (await components.users.list()).map(userJson) }))

  app.post('/api/v1/users', { ...guard, schema: { body: createBody } }, async (request, reply) => {
    const body = request.body as { name: string, password: string, roles?: string[], groups?: string[] }
    const roles = body.roles == null ? undefined : checkRoles(body.roles)
    const groups = body.groups == null ? undefined : checkGroups(body.groups)
    const user = await components.users.create(body.name, body.password, { ...(roles == null ? {} : { roles }), ...(groups == null ? {} : { groups }) })
    void reply.status(201)
    return { user: userJson(user) }
  })

  app.get('/api/v1/users/:user', { ...guard, schema: { params: userParams } }, async request => {
    const { user } = request.params as { user: string }
    const found = await components.users.get(user)
    if (found == null) throw new UserNotFoundError(user)
    return { user: userJson(found) }
  })

  app.post('/api/v1/users/:user/roles', { ...guard, schema: { params: userParams, body: rolesBody } }, async request => {
    const { user } = request.params as { user: string }
    return { user: userJson(await components.users.grantRoles(user, checkRoles((request.body as { roles: string[] }).roles))) }
  })

  app.delete('/api/v1/users/:user/roles', { ...guard, schema: { params: userParams, body: rolesBody } }, async request => {
    const { user } = request.params as { user: string }
    return { user: userJson(await components.users.revokeRoles(user, checkRoles((request.body as { roles: string[] }).roles))) }
  })

  app.put('/api/v1/users/:user/roles/:role', { ...guard, schema: { params: roleParams } }, async request => {
    const { user, role } = request.params as { user: string, role: string }
    return { user: userJson(await components.users.grantRoles(user, [checkRole(role)])) }
  })

  app.delete('/api/v1/users/:user/roles/:role', { ...guard, schema: { params: roleParams } }, async request => {
    const { user, role } = request.params as { user: string, role: string }
    return { user: userJson(await components.users.revokeRoles(user, [checkRole(role)])) }
  })

  app.put('/api/v1/users/:user/groups', { ...guard, schema: { params: userParams, body: groupsBody } }, async request => {
    const { user } = request.params as { user: string }
    return { user: userJson(await components.users.setGroups(user, checkGroups((request.body as { groups: string[] }).groups))) }
  })

  app.delete('/api/v1/users/:user', { ...guard, schema: { params: userParams } }, async request => {
    const { user } = request.params as { user: string }
    return { user: userJson(await components.users.remove(user)) }
  })
}
