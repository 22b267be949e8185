import type { Submitter } from './types.js'

/**
 * Who may run jobs on this node. By default only the node's own users (submissions whose
 * peer is this node). Config adds peers (`<peer id>` for any of its users, `<user>@<peer id>`
 * for one user, `*` for anyone) and local users with the `run` role.
 */
export interface JobAccessInit {
  /** Remote submitters allowed: peer IDs, `user@peerId`, or `*`. */
  peers?: string[]
  /**
   * Local users (other than the admin) allowed to run jobs. When neither this nor a roles
   * lookup is given, every user of this node may.
   */
  users?: string[]
}

/** The node's user directory, asked whether a local user holds the `run` role. */
export interface UserRoles {
  hasRole: (user: string, role: string) => boolean | Promise<boolean>
}

export const RUN_ROLE = 'run'
/** The name the API gives the node's admin. */
export const ADMIN_USER = 'admin'

export type AccessCheck = (submitter: Submitter) => Promise<boolean>

export function createAccessCheck (self: string, init: JobAccessInit = {}, roles?: UserRoles): AccessCheck {
  const peers = new Set(init.peers ?? [])
  const users = init.users == null ? undefined : new Set(init.users)
  return async (submitter) => {
    if (submitter.peer === self) {
      const user = submitter.user
      if (user == null || user === ADMIN_USER) return true
      if (users?.has(user) === true) return true
      if (roles != null && await roles.hasRole(user, RUN_ROLE)) return true
      return users == null && roles == null
    }
    if (peers.has('*') || peers.has(submitter.peer)) return true
    return submitter.user != null && peers.has(`${submitter.user}@${submitter.peer}`)
  }
}
