import fs from 'node:fs/promises'
import path from 'node:path'
import { AbortedError, InvalidArgumentError } from '../errors.js'
import { paipLogger } from '../logger.js'
import { createRouting } from '../net/routing.js'
import { createLocalCalls, refOf } from './call.js'
import * as C from './constants.js'
import { AlgorithmNotFoundError } from './errors.js'
import { RUNTIMES } from './languages.js'
import { checkPublication } from './publish.js'
import { algorithmKey, forwardCall, serveCalls } from './remote.js'
import { createAlgorithmStore } from './store.js'
import type { CallOptions, CallResult } from './call.js'
import type { PublishInput } from './publish.js'
import type { AlgorithmsDb, AlgorithmVersion } from './store.js'
import type { DataSpace } from '../data/index.js'
import type { ContentResolver, Jobs, Submitter } from '../jobs/index.js'
import type { Routing } from '../net/routing.js'
import type { BlobStore } from '../storage/blobs.js'
import { requireOwner } from '../users/roles.js'
import type { Actor } from '../users/roles.js'
import type { AbortOptions, ComponentLogger, Libp2p, Startable } from '@libp2p/interface'

export * from './errors.js'
export * from './store.js'
export { LANGUAGES, isLanguage } from './languages.js'
export type { Language } from './languages.js'
export { ALGORITHMS_PROTOCOL } from './constants.js'
export { checkTarball } from './tarball.js'
export { algorithmKey } from './remote.js'
export type { CallOptions, CallResult } from './call.js'
export type { PublishInput } from './publish.js'

export interface AlgorithmsComponents {
  db: AlgorithmsDb
  blobs: BlobStore
  data: DataSpace
  jobs: Pick<Jobs, 'submit' | 'events' | 'cancel' | 'logs' | 'status'>
  /** Without it, algorithms are neither announced nor forwarded (single-node use). */
  host?: Libp2p<any>
  /** The node's announce-and-discover service; default: one on `host`, run by this component. */
  routing?: Routing
  logger?: ComponentLogger
}

export interface AlgorithmsInit {
  /** Where version directories and call directories live (e.g. `<home>/algorithms`). */
  dir: string
  /** Other nodes allowed to call public algorithms here: peer IDs or `*` (default `*`). */
  allowPeers?: string[]
  callTimeout?: number
}

export interface Algorithms extends Startable {
  publish: (input: PublishInput, as: Actor, options?: AbortOptions) => Promise<AlgorithmVersion>
  /** `owner/name[@version]` held by this node. */
  get: (ref: string) => Promise<AlgorithmVersion>
  list: (owner?: string) => Promise<AlgorithmVersion[]>
  remove: (ref: string, as: Actor) => Promise<AlgorithmVersion[]>
  /** Runs `owner/name[@version]` here when this node hosts it, else on a node that does. */
  call: (ref: string, payload: unknown, caller: Submitter, options?: CallOptions) => Promise<CallResult>
  /** Whether a published version uses this blob (its code or a data file). */
  usesBlob: (cid: string) => Promise<boolean>
  /** Gives jobs the directory of a call in progress (its code, data, payload): for the jobs' model resolver. */
  readonly content: ContentResolver
}

/** `owner/name[@version]`. */
export function parseAlgorithmRef (ref: string): { owner: string, name: string, version?: number } {
  const match = /^([a-z0-9][a-z0-9._-]{0,62}|admin)\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@(\d{1,9}))?$/.exec(String(ref))
  if (match == null) throw new InvalidArgumentError(`not an algorithm reference: ${String(ref).slice(0, 200)} (expected <user>/<name>[@version])`)
  return { owner: match[1], name: match[2], ...(match[3] == null ? {} : { version: Number(match[3]) }) }
}

/**
 * Algorithms: versioned code tarballs with a language and data files, published by a user on
 * a node, announced on the DHT, and called with a JSON payload from any node. A call is a job
 * of the node's jobs component (its limits, logs and runtime), whose model directory holds
 * the version's code and data and the call's payload.
 */
export function createAlgorithms (components: AlgorithmsComponents, init: AlgorithmsInit): Algorithms {
  const log = (components.logger ?? paipLogger()).forComponent('paip:algorithms')
  const store = createAlgorithmStore(components.db)
  const { blobs, data, jobs, host } = components
  const self = host?.peerId.toString() ?? 'local'
  const allow = new Set(init.allowPeers ?? ['*'])
  const shutdown = new AbortController()
  const ownRouting = components.routing == null && host != null
  const routing = components.routing ?? (host == null ? undefined : createRouting({ host, logger: components.logger ?? paipLogger() }))
  const local = createLocalCalls({ blobs, jobs }, { dir: init.dir, callTimeout: init.callTimeout, self, shutdown: shutdown.signal })

  /**
   * Announces a public version's key (on a node alone, once it has peers); kad-dht re-provides
   * it from then on, also after a restart, so nothing here re-announces on a schedule.
   */
  async function announce (v: AlgorithmVersion): Promise<void> {
    if (routing == null || !v.public) return
    await routing.announce([algorithmKey(v.owner, v.name)], { signal: AbortSignal.any([shutdown.signal, AbortSignal.timeout(C.PROVIDE_TIMEOUT)]) })
  }

  async function find (ref: string): Promise<AlgorithmVersion | undefined> {
    const { owner, name, version } = parseAlgorithmRef(ref)
    return await store.get(owner, name, version)
  }

  return {
    content: local.content,

    async start () {
      await fs.mkdir(path.join(init.dir, 'calls'), { recursive: true })
      // calls a stopped node left behind
      for (const name of await fs.readdir(path.join(init.dir, 'calls'))) await fs.rm(path.join(init.dir, 'calls', name), { recursive: true, force: true })
      if (host != null) {
        await serveCalls(host, { allow, self, find, run: local.run, signal: shutdown.signal })
        if (ownRouting) await routing?.start()
      }
    },

    async stop () {
      shutdown.abort(new AbortedError('the node is stopping'))
      if (ownRouting) await routing?.stop()
      if (host != null) await host.unhandle(C.ALGORITHMS_PROTOCOL).catch(() => {})
    },

    async publish (input, as, options) {
      const checked = await checkPublication(input, as, { data, blobs })
      options?.signal?.throwIfAborted()
      const previous = await store.get(as.name, checked.name)
      const v: AlgorithmVersion = {
        owner: checked.owner,
        name: checked.name,
        version: (previous?.version ?? 0) + 1,
        language: checked.language,
        code: checked.code,
        entry: checked.entry,
        data: checked.data,
        public: checked.public,
        created: Date.now()
      }
      await store.put(v)
      log('published %s (%s, %d data files)', refOf(v), v.language, v.data.length)
      void announce(v)
      return v
    },

    async get (ref) {
      const v = await find(ref)
      if (v == null) throw new AlgorithmNotFoundError(ref)
      return v
    },

    async list (owner) { return await store.latest(owner) },

    async usesBlob (cid) {
      for (const v of await store.all()) if (v.code === cid || v.data.some(d => d.cid === cid)) return true
      return false
    },

    async remove (ref, as) {
      const { owner, name } = parseAlgorithmRef(ref)
      requireOwner(as, owner, `algorithm ${owner}/${name}`, 'remove')
      const gone = await store.remove(owner, name)
      if (gone.length === 0) throw new AlgorithmNotFoundError(ref)
      for (const v of gone) await fs.rm(local.versionDir(v), { recursive: true, force: true }).catch(() => {})
      await routing?.withdraw([algorithmKey(owner, name)])
      return gone
    },

    async call (ref, payload, caller, options = {}) {
      const v = await find(ref)
      if (v != null) return await local.run(v, payload, caller, options)
      const { owner, name } = parseAlgorithmRef(ref)
      return await forwardCall({ text: ref, owner, name }, payload, caller, options, { host, routing, log, callTimeout: init.callTimeout, signal: shutdown.signal })
    }
  }
}

export { RUNTIMES }
