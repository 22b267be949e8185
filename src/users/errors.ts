import { PaipError } from '../errors.js'

/** A user name that is not `[a-z0-9][a-z0-9._-]{0,62}`. */
export class InvalidUserNameError extends PaipError {
  static name = 'InvalidUserNameError'
  name = 'InvalidUserNameError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A group name that is not `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, or too many groups. */
export class InvalidGroupError extends PaipError {
  static name = 'InvalidGroupError'
  name = 'InvalidGroupError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** A password too short or too long. */
export class WeakPasswordError extends PaipError {
  static name = 'WeakPasswordError'
  name = 'WeakPasswordError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** Creating a user that exists already. */
export class UserExistsError extends PaipError {
  static name = 'UserExistsError'
  name = 'UserExistsError'
  constructor (user: string) { super(`user "${user}" exists already`, 'conflict', { user }) }
}

/** Wrong user name or password (one error for both, so names cannot be probed). */
export class BadCredentialsError extends PaipError {
  static name = 'BadCredentialsError'
  name = 'BadCredentialsError'
  constructor () { super('wrong user name or password', 'unauthorized') }
}

/** Sign-up is closed on this node: only the admin creates users. */
export class SignUpClosedError extends PaipError {
  static name = 'SignUpClosedError'
  name = 'SignUpClosedError'
  constructor () { super('sign-up is closed on this node: ask its admin to create the user', 'forbidden') }
}

/** No user of that name on this node. */
export class UserNotFoundError extends PaipError {
  static name = 'UserNotFoundError'
  name = 'UserNotFoundError'
  constructor (user: string) { super(`no user "${String(user).slice(0, 64)}" on this node`, 'not-found', { user: String(user).slice(0, 64) }) }
}

/** A login waited longer than its deadline behind earlier failures (its own address's, or guesses at the user). */
export class LoginThrottledError extends PaipError {
  static name = 'LoginThrottledError'
  name = 'LoginThrottledError'
  constructor () { super('too many failed logins: try again later', 'busy') }
}
