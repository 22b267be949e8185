/**
 * Marketplace users: accounts with scrypt password hashes, bearer tokens with an expiry (only
 * their sha2-256 hashes are stored), revocation, and a growing delay on repeated failed logins.
 */
import { createHash, randomBytes } from 'node:crypto'
import * as C from './constants.js'
import { BadCredentialsError, InvalidGroupError, InvalidUserNameError, UserExistsError, UserNotFoundError, WeakPasswordError } from './errors.js'
import { DEFAULT_ROLES, checkRoles } from './roles.js'
import type { Role } from './roles.js'
import { checkPassword, DUMMY_HASH, hashPassword } from './password.js'
import { createLoginThrottle } from './throttle.js'
import type { PasswordHash } from './password.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export * from './errors.js'
export * from './roles.js'

/** The part of a level sublevel the store uses (JSON values). */
export interface UserDb {
  get(key: string): Promise<any>
  put(key: string, value: any): Promise<void>
  del(key: string): Promise<void>
  iterator?: unknown
}

export interface UsersComponents {
  db: UserDb
  logger?: ComponentLogger
  /** When given, user tokens are accepted by it (`addVerifier(users.verifyToken)`). */
  authenticator?: { addVerifier: (verifier: (token: string) => Promise<UserPrincipal | undefined>) => void }
}

export interface UsersInit {
  tokenTtl?: number
  freeFailures?: number
  failureDelay?: number
  maxFailureDelay?: number
  /** For tests: the clock. */
  now?: () => number
}

export interface LoginOptions extends AbortOptions {
  /** The client's address (failures are counted per address too). */
  address?: string
}

/** A user: its roles, and the groups it belongs to (OpenPAI marketplace items can be shared with groups). */
export interface UserInfo { name: string, created: number, roles: Role[], groups: string[] }

export interface CreateOptions {
  /** Default DEFAULT_ROLES (`publish`, `read`); sign-up gives SIGN_UP_ROLES. */
  roles?: readonly Role[]
  /** The groups the user belongs to; default none. */
  groups?: readonly string[]
}

export interface LoginResult {
  user: string
  token: string
  /** Milliseconds since the epoch. */
  expires: number
}

export interface UserPrincipal { kind: 'user', name: string, roles: Role[], groups: string[] }

export interface Users {
  create(name: string, password: string, options?: CreateOptions): Promise<UserInfo>
  get(name: string): Promise<UserInfo | undefined>
  /** Every user, by name. */
  list(): Promise<UserInfo[]>
  /** Adds roles to a user (UserNotFoundError when there is none). */
  grantRoles(name: string, roles: readonly Role[]): Promise<UserInfo>
  /** Takes roles from a user. */
  revokeRoles(name: string, roles: readonly Role[]): Promise<UserInfo>
  /** Sets the groups a user belongs to (replacing them; none: `[]`). */
  setGroups(name: string, groups: readonly string[]): Promise<UserInfo>
  /** Deletes a user; the tokens it had stop working. What it owns keeps its owner's name. */
  remove(name: string): Promise<UserInfo>
  /** Whether a user holds a role (`admin` holds every role); false for unknown users. */
  hasRole(name: string, role: Role): Promise<boolean>
  /** Password → token. Guessing is slowed down per user and per client address (`./throttle.ts`; the waits honour the signal). */
  login(name: string, password: string, options?: LoginOptions): Promise<LoginResult>
  /** The user a token belongs to, or undefined (unknown, expired or revoked). Fits `Authenticator.addVerifier`. */
  verifyToken(token: string): Promise<UserPrincipal | undefined>
  revoke(token: string): Promise<void>
}

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const TOKEN_PREFIX = 'paip_u_'

interface StoredUser { name: string, created: number, password: PasswordHash, roles?: Role[], groups?: string[] }

/** Users stored before roles existed hold the default ones. */
function rolesOf (user: StoredUser): Role[] {
  return user.roles ?? [...DEFAULT_ROLES]
}

function info (user: StoredUser): UserInfo {
  return { name: user.name, created: user.created, roles: rolesOf(user), groups: user.groups ?? [] }
}

/** Group names checked (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, at most MAX_GROUPS), without repeats, sorted. */
export function checkGroups (groups: readonly unknown[]): string[] {
  if (!Array.isArray(groups)) throw new InvalidGroupError('groups are a list of names')
  for (const group of groups) {
    if (typeof group !== 'string' || !GROUP_NAME.test(group)) {
      throw new InvalidGroupError(`not a group name: ${JSON.stringify(String(group).slice(0, 80))} (1 to 64 of A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit)`)
    }
  }
  const unique = [...new Set(groups as string[])].sort()
  if (unique.length > C.MAX_GROUPS) throw new InvalidGroupError(`a user belongs to at most ${C.MAX_GROUPS} groups`)
  return unique
}
interface StoredToken { user: string, created: number, expires: number }

export function checkUserName (name: string): void {
  if (typeof name !== 'string' || !USER_NAME.test(name) || name === 'admin') {
    throw new InvalidUserNameError('a user name is 1 to 63 of a-z, 0-9, ".", "_", "-", starting with a letter or digit (not "admin")')
  }
}

function tokenKey (token: string): string {
  return 'token:' + createHash('sha256').update(token).digest('hex')
}

async function getOrUndefined (db: UserDb, key: string): Promise<any> {
  try {
    const value = await db.get(key)
    return value ?? undefined
  } catch (err: any) {
    if (err?.code === 'LEVEL_NOT_FOUND' || err?.notFound === true) return undefined
    throw err
  }
}

/** A new user's name, password, roles and groups checked: the roles and groups to store. */
function checkNewUser (name: string, password: string, options: CreateOptions): { roles: Role[], groups: string[] } {
  checkUserName(name)
  const roles = checkRoles(options.roles ?? DEFAULT_ROLES)
  const groups = checkGroups(options.groups ?? [])
  if (typeof password !== 'string' || password.length < C.MIN_PASSWORD_LENGTH || password.length > C.MAX_PASSWORD_LENGTH) {
    throw new WeakPasswordError(`a password is ${C.MIN_PASSWORD_LENGTH} to ${C.MAX_PASSWORD_LENGTH} characters`)
  }
  return { roles, groups }
}

async function listUsers (db: UserDb): Promise<UserInfo[]> {
  const out: UserInfo[] = []
  for await (const [key, value] of (db as any).iterator({ gte: 'user:', lt: 'user;' })) {
    if (typeof key === 'string' && key.startsWith('user:') && value != null) out.push(info(value))
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Whether the password is the user's: checked against a dummy hash when there is no such user,
 * so an unknown name takes as long as a wrong password.
 */
async function credentialsMatch (db: UserDb, name: string, password: string): Promise<boolean> {
  const found: StoredUser | undefined = typeof name === 'string' && USER_NAME.test(name) ? await getOrUndefined(db, 'user:' + name) : undefined
  return typeof password === 'string' && password.length <= C.MAX_PASSWORD_LENGTH &&
    await checkPassword(password, found?.password ?? DUMMY_HASH) && found != null
}

export function createUsers (components: UsersComponents, init: UsersInit = {}): Users {
  const { db } = components
  const log = components.logger?.forComponent('paip:users')
  const now = init.now ?? Date.now
  const ttl = init.tokenTtl ?? C.TOKEN_TTL
  const throttle = createLoginThrottle({ freeFailures: init.freeFailures ?? C.FREE_FAILURES, failureDelay: init.failureDelay ?? C.FAILURE_DELAY, maxFailureDelay: init.maxFailureDelay ?? C.MAX_FAILURE_DELAY, now })

  async function stored (name: string): Promise<StoredUser | undefined> {
    return typeof name === 'string' && USER_NAME.test(name) ? await getOrUndefined(db, 'user:' + name) : undefined
  }

  async function mustGet (name: string): Promise<StoredUser> {
    const user = await stored(name)
    if (user == null) throw new UserNotFoundError(name)
    return user
  }


  const users: Users = {
    async create (name, password, options = {}) {
      const { roles, groups } = checkNewUser(name, password, options)
      if (await getOrUndefined(db, 'user:' + name) != null) throw new UserExistsError(name)
      const user: StoredUser = { name, created: now(), password: await hashPassword(password), roles, ...(groups.length > 0 ? { groups } : {}) }
      await db.put('user:' + name, user)
      log?.('created user %s (%s)', name, roles.join(','))
      return info(user)
    },

    async get (name) {
      const user = await stored(name)
      return user == null ? undefined : info(user)
    },

    async list () { return await listUsers(db) },

    async grantRoles (name, roles) {
      const user = await mustGet(name)
      const next = checkRoles([...rolesOf(user), ...roles])
      await db.put('user:' + user.name, { ...user, roles: next })
      log?.('granted %s to %s', roles.join(','), name)
      return info({ ...user, roles: next })
    },

    async revokeRoles (name, roles) {
      const user = await mustGet(name)
      const drop = new Set(checkRoles(roles))
      const next = rolesOf(user).filter(r => !drop.has(r))
      await db.put('user:' + user.name, { ...user, roles: next })
      log?.('revoked %s from %s', roles.join(','), name)
      return info({ ...user, roles: next })
    },

    async setGroups (name, groups) {
      const checked = checkGroups(groups)
      const user = await mustGet(name)
      await db.put('user:' + user.name, { ...user, groups: checked })
      log?.('set the groups of %s: %s', name, checked.join(',') || 'none')
      return info({ ...user, groups: checked })
    },

    async remove (name) {
      const user = await mustGet(name)
      await db.del('user:' + user.name)
      throttle.forget(user.name)
      log?.('removed user %s', name)
      return info(user)
    },

    async hasRole (name, role) {
      const user = await stored(name)
      if (user == null) return false
      const roles = rolesOf(user)
      return roles.includes('admin') || roles.includes(role)
    },

    async login (name, password, options = {}) {
      const user = String(name)
      const ok = await throttle.attempt(user, options.address, async () => await credentialsMatch(db, name, password), options.signal)
      if (!ok) {
        log?.('failed login for %s from %s', user, options.address ?? 'an unknown address')
        throw new BadCredentialsError()
      }
      const token = TOKEN_PREFIX + randomBytes(C.TOKEN_BYTES).toString('base64url')
      const stored: StoredToken = { user: name, created: now(), expires: now() + ttl }
      await db.put(tokenKey(token), stored)
      return { user: name, token, expires: stored.expires }
    },

    async verifyToken (token) {
      if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX)) return undefined
      const stored: StoredToken | undefined = await getOrUndefined(db, tokenKey(token))
      if (stored == null) return undefined
      if (stored.expires <= now()) {
        await db.del(tokenKey(token)).catch(() => {})
        return undefined
      }
      // a token outlives neither its user nor a user made again under the same name
      const user = await users.get(stored.user)
      if (user == null || user.created > stored.created) return undefined
      return { kind: 'user', name: stored.user, roles: user.roles, groups: user.groups }
    },

    async revoke (token) {
      await db.del(tokenKey(token))
    }
  }
  components.authenticator?.addVerifier(async token => await users.verifyToken(token))
  return users
}
