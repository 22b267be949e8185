import { multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT } from '../net/constants.js'
import { namedPeer } from '../net/addresses.js'
import { ConfigInvalidError, PortInUseError } from './errors.js'
import type { Host } from '../net/host.js'
import type { RecordNamespaces } from './components.js'
import type { NodeConfig } from './config-schema.js'
import type { Selectors, Validators } from '@libp2p/kad-dht'

/** The addresses of `network.*`, checked: bad listen or announce addresses stop the node, bad bootstrap ones are skipped. */
export interface NetworkAddresses {
  listen: string[]
  announce: string[]
  bootstrap: string[]
}

export function checkNetwork (config: NodeConfig, warn: (message: string) => void): NetworkAddresses {
  return {
    listen: checkAddresses(config.network.listen, 'network.listen'),
    announce: checkAddresses(config.network.announce, 'network.announce'),
    bootstrap: usableBootstrap(config.network.bootstrap, warn)
  }
}

function checkAddresses (list: string[], path: string): string[] {
  const problems = []
  for (const address of list) {
    try {
      multiaddr(address)
    } catch (err: any) {
      problems.push({ path, source: 'config', message: `not a valid multiaddr: ${address} (${err.message})` })
    }
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems)
  return list
}

/** Bootstrap addresses that can be dialled; the rest are reported and skipped. */
export function usableBootstrap (list: string[], warn: (message: string) => void): string[] {
  const usable: string[] = []
  for (const address of list) {
    try {
      const ma = multiaddr(address)
      if (namedPeer(ma) == null) {
        warn(`bootstrap address ${address} has no /p2p/<peer id>: skipped`)
        continue
      }
      usable.push(address)
    } catch (err: any) {
      warn(`bootstrap address ${address} is not a valid multiaddr (${err.message}): skipped`)
    }
  }
  return usable
}

/** Tells the operator about bootstrap peers that cannot be reached (the node runs on regardless). */
export async function checkBootstrap (host: Host, list: string[], warn: (message: string) => void, signal: AbortSignal): Promise<void> {
  await Promise.all(list.map(async address => {
    try {
      await host.dial(multiaddr(address), { signal: AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT)]) })
    } catch (err: any) {
      if (signal.aborted) return
      warn(`bootstrap peer ${address} could not be reached (${String(err.message ?? err).split('\n')[0]}): running without it`)
    }
  }))
}

/** Every component's DHT validators and selectors in one pair of maps; two for one namespace is a bug. */
export function mergeRecords (list: RecordNamespaces[]): { validators: Validators, selectors: Selectors } {
  const validators: Validators = {}
  const selectors: Selectors = {}
  for (const records of list) {
    for (const [name, validator] of Object.entries(records.validators ?? {})) {
      if (validators[name] != null) throw new Error(`two components register DHT validators for the record namespace ${name}`)
      validators[name] = validator
    }
    for (const [name, selector] of Object.entries(records.selectors ?? {})) {
      if (selectors[name] != null) throw new Error(`two components register DHT selectors for the record namespace ${name}`)
      selectors[name] = selector
    }
  }
  return { validators, selectors }
}

/** A PortInUseError when `err` (or one it wraps) is an address in use; libp2p says so in its message only. */
export function portError (err: any, what: string, host?: string, port?: number): PortInUseError | undefined {
  for (let e = err; e != null; e = e.cause) {
    const inner = [e, ...(Array.isArray(e.errors) ? e.errors : [])]
    for (const x of inner) {
      if (x?.code === 'EADDRINUSE') {
        const p = port ?? x.port ?? Number(/:(\d+)\s*$/.exec(String(x.message))?.[1] ?? NaN)
        return new PortInUseError(host ?? x.address ?? '?', p, what, { cause: err })
      }
    }
  }
  const match = /EADDRINUSE: address already in use (\S+):(\d+)/.exec(String(err?.message))
  if (match != null) return new PortInUseError(match[1], Number(match[2]), what, { cause: err })
  return undefined
}
