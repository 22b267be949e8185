import { timingSafeEqual, createHash } from 'node:crypto'
import { hasRole, isAdmin, requireRole } from '../users/roles.js'
import { ForbiddenError, UnauthorizedError } from './errors.js'
import type { Role } from '../users/roles.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Who a request speaks for. */
export interface Principal {
  kind: 'admin' | 'user'
  name: string
  /** A user's roles (`publish`, `run`, `read`, `admin`); the admin token holds every role. */
  roles?: readonly string[]
  /** A user's groups (OpenPAI marketplace items shared with groups); looked up on every request. */
  groups?: readonly string[]
}

/**
 * Turns a bearer token into a principal, or `undefined` when it does not know the token.
 * The node's admin token is one verifier; user tokens (marketplace logins) add another.
 */
export type TokenVerifier = (token: string) => Principal | undefined | Promise<Principal | undefined>

export interface Authenticator {
  /** Adds a verifier, asked after the ones before it. */
  addVerifier: (verifier: TokenVerifier) => void
  /** The principal of a token, or undefined when no verifier knows it. */
  verify: (token: string) => Promise<Principal | undefined>
}

export interface AuthenticatorInit {
  /** The node's admin token (the home's `token` file). */
  adminToken: string
  verifiers?: TokenVerifier[]
}

/** The name of the admin principal. */
export const ADMIN = 'admin'

export function createAuthenticator (init: AuthenticatorInit): Authenticator {
  const verifiers: TokenVerifier[] = [adminVerifier(init.adminToken), ...(init.verifiers ?? [])]
  return {
    addVerifier: verifier => { verifiers.push(verifier) },
    async verify (token) {
      for (const verifier of verifiers) {
        const principal = await verifier(token)
        if (principal != null) return principal
      }
      return undefined
    }
  }
}

/** Accepts exactly the admin token (compared in constant time). */
export function adminVerifier (adminToken: string): TokenVerifier {
  const expected = digest(adminToken)
  return token => timingSafeEqual(digest(token), expected) ? { kind: 'admin', name: ADMIN } : undefined
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the access preHandlers when the request carried a valid token. */
    principal?: Principal
  }
}

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/** fastify hooks that guard routes: `{ onRequest: access.requireWrite }` (onRequest: checked before the body is read; preHandler works too). */
export interface Access {
  /** Any valid token (admin or user). */
  requireWrite: PreHandler
  /** The admin token only. */
  requireAdmin: PreHandler
  /** No token needed unless the node is private (then a token with the `read` role); a token given must be valid. */
  readAccess: PreHandler
  /** A valid token holding `role` (the admin holds every role); `action` says what for, in the 403. */
  requireRole: (role: Role, action: string) => PreHandler
  /** The principal of a request, authenticating it if no preHandler did (undefined: anonymous). */
  principalOf: (request: FastifyRequest) => Promise<Principal | undefined>
}

export interface AccessInit {
  /** Reads need a token too (config `private: true`). */
  private?: boolean
}

export function createAccess (authenticator: Authenticator, init: AccessInit = {}): Access {
  async function principalOf (request: FastifyRequest): Promise<Principal | undefined> {
    if (request.principal != null) return request.principal
    const header = request.headers.authorization
    if (header == null || header === '') return undefined
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match == null) throw new UnauthorizedError('malformed Authorization header: expected `Bearer <token>`')
    const principal = await authenticator.verify(match[1])
    if (principal == null) throw new UnauthorizedError('the token is not valid on this node')
    request.principal = principal
    return principal
  }

  return {
    principalOf,
    async requireWrite (request) {
      if (await principalOf(request) == null) throw new UnauthorizedError()
    },
    async requireAdmin (request) {
      const principal = await principalOf(request)
      if (principal == null) throw new UnauthorizedError('the admin token is required: pass `Authorization: Bearer <token>` (the node home\'s `token` file)')
      if (!isAdmin(principal)) throw new ForbiddenError('only the node\'s admin may do that')
    },
    async readAccess (request) {
      const principal = await principalOf(request)
      if (init.private !== true) return
      if (principal == null) throw new UnauthorizedError('this node is private: a valid token is required to read')
      if (!hasRole(principal, 'read')) requireRole(principal, 'read', 'read on this private node')
    },
    requireRole: (role, action) => async request => {
      const principal = await principalOf(request)
      if (principal == null) throw new UnauthorizedError()
      requireRole(principal, role, action)
    }
  }
}

/**
 * For routes that make the node act for the caller: dial an address or peer the caller names,
 * fetch content into its store. Anonymous requests may read (what the node holds, searches),
 * never this: a token is needed (any user's; on a private node, one that may read).
 */
export function requireToken (access: Access, action: string): PreHandler {
  return async (request, reply) => {
    await access.readAccess(request, reply)
    if (await access.principalOf(request) == null) throw new UnauthorizedError(`anonymous requests may only read: ${action} needs a token (\`paip login\`, or the node's admin token)`)
  }
}
