/**
 * The login throttle: how guessing passwords is slowed down (docs/marketplace.md, "Password
 * guessing"). Failures are counted per user and per client address (IPv6 by /64), forgotten
 * after a window without one.
 *
 * - Attempts from one address run one at a time; after `free` failures from it (at any user),
 *   each waits `step * 2^(failures - free)` ms, at most `cap`.
 * - An address that has failed (at any user) is suspect: its attempts at a user are spaced in
 *   time per user, each slot `delay(user's failures + suspect attempts waiting)` after the
 *   previous one, so parallel guesses from many suspect addresses queue up one after another.
 * - An address with no failure is clean: its attempt skips the per-user spacing, so the owner
 *   of an account logging in from their own machine is not delayed by someone else's guesses
 *   (only by their own address's: at most the check itself).
 */
import * as C from './constants.js'
import { AbortedError } from '../errors.js'
import { LoginThrottledError } from './errors.js'
import { sleep } from '../time.js'

export interface LoginThrottleInit {
  freeFailures?: number
  failureDelay?: number
  maxFailureDelay?: number
  /** Failures are forgotten after this long without one (ms). */
  window?: number
  now?: () => number
  /** Most users and addresses remembered (the oldest are dropped beyond it). */
  maxEntries?: number
}

export interface LoginThrottle {
  /** Runs one login attempt for `user` from `address` under the policy; `check` says whether the password was right. */
  attempt: (user: string, address: string | undefined, check: () => Promise<boolean>, signal?: AbortSignal) => Promise<boolean>
  /** Forgets a user's failures (the user was removed). */
  forget: (user: string) => void
}

interface Count { failures: number, last: number }

/** The address failures are counted under: an IPv4 address, or an IPv6 address's /64. */
export function addressKey (address: string | undefined): string {
  if (address == null || address === '') return 'unknown'
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (v4 != null) return v4[1]
  if (!address.includes(':')) return address
  const [head, tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return groups.slice(0, 4).map(g => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64'
}

export function createLoginThrottle (init: LoginThrottleInit = {}): LoginThrottle {
  const free = init.freeFailures ?? C.FREE_FAILURES
  const step = init.failureDelay ?? C.FAILURE_DELAY
  const cap = init.maxFailureDelay ?? C.MAX_FAILURE_DELAY
  const window = init.window ?? C.FAILURE_WINDOW
  const now = init.now ?? Date.now
  const maxEntries = init.maxEntries ?? 100_000
  const byUser = new Map<string, Count>()
  const byAddress = new Map<string, Count>()
  /** The tail of each address's queue of attempts. */
  const addressQueues = new Map<string, Promise<void>>()
  /** When the next suspect attempt at a user may run, and how many wait for a slot. */
  const userSlots = new Map<string, { next: number, waiting: number }>()

  function failuresOf (map: Map<string, Count>, key: string): number {
    const count = map.get(key)
    if (count == null) return 0
    if (now() - count.last > window) { map.delete(key); return 0 }
    return count.failures
  }

  function delayAfter (failures: number): number {
    return failures < free ? 0 : Math.min(cap, step * 2 ** (failures - free))
  }

  function fail (map: Map<string, Count>, key: string): void {
    const failures = failuresOf(map, key) + 1
    map.delete(key) // re-inserted last: the map stays ordered oldest first
    map.set(key, { failures, last: now() })
    if (map.size > maxEntries) map.delete(map.keys().next().value as string)
  }

  /** Runs `fn` after every earlier attempt from the same address finished. */
  async function inAddressQueue<T> (key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = addressQueues.get(key) ?? Promise.resolve()
    let release = (): void => {}
    const mine = new Promise<void>(resolve => { release = resolve })
    const tail = previous.then(async () => await mine)
    addressQueues.set(key, tail)
    try {
      await Promise.race([previous, new Promise<never>((_resolve, reject) => {
        if (signal == null) return
        if (signal.aborted) reject(signal.reason)
        signal.addEventListener('abort', () => { reject(signal.reason ?? new AbortedError()) }, { once: true })
      })])
      return await fn()
    } finally {
      release()
      if (addressQueues.get(key) === tail) addressQueues.delete(key)
    }
  }

  /** Waits for this user's next slot for a suspect attempt. */
  async function userSlot (user: string, signal?: AbortSignal): Promise<void> {
    const slot = userSlots.get(user) ?? { next: 0, waiting: 0 }
    userSlots.set(user, slot)
    const at = Math.max(now(), slot.next)
    slot.waiting++
    slot.next = at + delayAfter(failuresOf(byUser, user) + slot.waiting)
    try {
      await sleep(at - now(), signal)
    } finally {
      slot.waiting--
      if (slot.waiting === 0 && slot.next <= now()) userSlots.delete(user)
    }
  }

  return {
    async attempt (user, address, check, signal) {
      const key = addressKey(address)
      let checking = false
      try {
        return await inAddressQueue(key, async () => {
          await sleep(delayAfter(failuresOf(byAddress, key)), signal)
          if (failuresOf(byAddress, key) > 0) await userSlot(user, signal)
          checking = true
          const ok = await check()
          if (ok) {
            byUser.delete(user)
          } else {
            fail(byUser, user)
            fail(byAddress, key)
          }
          return ok
        }, signal)
      } catch (err) {
        // the deadline passed while it waited its turn
        if (!checking && signal?.aborted === true) throw new LoginThrottledError()
        throw err
      }
    },
    forget (user) {
      byUser.delete(user)
      userSlots.delete(user)
    }
  }
}
