import { PaipError } from '../errors.js'

/**
 * What a node's users may do besides owning what they create:
 * - `admin`: everything, as the node's admin token does;
 * - `publish`: push protocols, add and fetch datasets and models;
 * - `run`: run jobs and order evaluations on this node;
 * - `read`: read anything on a private node (on a public node reads need no token).
 */
export type Role = 'admin' | 'publish' | 'run' | 'read'
export const ROLES: readonly Role[] = ['admin', 'publish', 'run', 'read']

/** Roles of a user the admin creates without naming any. */
export const DEFAULT_ROLES: readonly Role[] = ['publish', 'read']
/** Roles of a user who signed up (config `users.signUp: true`). */
export const SIGN_UP_ROLES: readonly Role[] = ['publish']

/** The name the node's admin token acts as. */
export const ADMIN_NAME = 'admin'

/** Who does something: the node's admin or one of its users (with the user's roles). */
export interface Actor {
  kind: 'admin' | 'user'
  name: string
  roles?: readonly string[]
}

/** A role name that is not one of ROLES. */
export class UnknownRoleError extends PaipError {
  static name = 'UnknownRoleError'
  name = 'UnknownRoleError'
  constructor (role: string) { super(`no role "${String(role).slice(0, 64)}": roles are ${ROLES.join(', ')}`, 'invalid-input', { role, roles: ROLES }) }
}

/** A user without the role an action needs. */
export class RoleRequiredError extends PaipError {
  static name = 'RoleRequiredError'
  name = 'RoleRequiredError'
  constructor (user: string, role: Role, action: string) {
    super(`user "${user}" may not ${action}: that needs the "${role}" role (the node's admin grants it: paip users grant ${user} ${role})`, 'forbidden', { user, role })
  }
}

/** Changing or deleting something owned by another user. */
export class NotOwnerError extends PaipError {
  static name = 'NotOwnerError'
  name = 'NotOwnerError'
  constructor (what: string, owner: string, user: string, action: string) {
    super(`${what} belongs to ${owner}: only its owner or the node's admin may ${action} it (you are ${user})`, 'forbidden', { owner, user })
  }
}

export function checkRole (role: unknown): Role {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new UnknownRoleError(String(role))
  return role as Role
}

/** Checked, de-duplicated roles in ROLES order. */
export function checkRoles (roles: unknown): Role[] {
  if (!Array.isArray(roles)) throw new UnknownRoleError(String(roles))
  const set = new Set(roles.map(checkRole))
  return ROLES.filter(r => set.has(r))
}

/** True for the node's admin (its token, or a user holding the `admin` role). */
export function isAdmin (actor: Actor | undefined): boolean {
  return actor?.kind === 'admin' || actor?.roles?.includes('admin') === true
}

export function hasRole (actor: Actor | undefined, role: Role): boolean {
  return actor != null && (isAdmin(actor) || actor.roles?.includes(role) === true)
}

/** Throws RoleRequiredError unless the actor holds `role` (the admin holds every role). */
export function requireRole (actor: Actor, role: Role, action: string): void {
  if (!hasRole(actor, role)) throw new RoleRequiredError(actor.name, role, action)
}

/**
 * Throws NotOwnerError unless the actor owns the thing or is the admin. `owner` is the
 * recorded owner (a local user's name, or `user@peer` for a remote one, which no local
 * user ever matches).
 */
export function requireOwner (actor: Actor, owner: string | undefined, what: string, action: string): void {
  if (isAdmin(actor)) return
  if (owner == null || owner !== actor.name) throw new NotOwnerError(what, owner ?? ADMIN_NAME, actor.name, action)
}
