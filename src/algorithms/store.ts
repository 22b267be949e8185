import type { Language } from './languages.js'

/** One data file an algorithm is given: where it came from and its bytes' CID. */
export interface AlgorithmDataFile {
  /** `data://<user>/<collection>/<path>` as published. */
  path: string
  cid: string
  size: number
}

/** A published version of an algorithm. */
export interface AlgorithmVersion {
  owner: string
  name: string
  /** 1, 2, ...: each publication of the same owner/name is the next version. */
  version: number
  language: Language
  /** CID of the code tarball (tar.gz) in the blob store. */
  code: string
  /** The file (in the tarball) whose `apply(input)` answers calls. */
  entry: string
  data: AlgorithmDataFile[]
  /** Callable from other nodes (and announced on the DHT). */
  public: boolean
  created: number
}

/** The part of a level sublevel the store uses (JSON values). */
export interface AlgorithmsDb {
  get: (key: string) => Promise<any>
  put: (key: string, value: any) => Promise<void>
  del: (key: string) => Promise<void>
  iterator: (options?: any) => AsyncIterable<[string, any]>
}

const pad = (n: number): string => String(n).padStart(10, '0')
const prefix = (owner: string, name: string): string => `v/${owner}/${name}/`

export interface AlgorithmStore {
  put: (v: AlgorithmVersion) => Promise<void>
  /** A version, or the latest when `version` is not given. */
  get: (owner: string, name: string, version?: number) => Promise<AlgorithmVersion | undefined>
  /** The latest version of every algorithm (of one owner when given). */
  latest: (owner?: string) => Promise<AlgorithmVersion[]>
  versions: (owner: string, name: string) => Promise<AlgorithmVersion[]>
  /** Every version of every algorithm. */
  all: () => Promise<AlgorithmVersion[]>
  remove: (owner: string, name: string) => Promise<AlgorithmVersion[]>
}

export function createAlgorithmStore (db: AlgorithmsDb): AlgorithmStore {
  async function range (gte: string, options: { reverse?: boolean, limit?: number } = {}): Promise<AlgorithmVersion[]> {
    const out: AlgorithmVersion[] = []
    for await (const [, value] of db.iterator({ gte, lt: gte + '\xff', reverse: options.reverse === true, ...(options.limit == null ? {} : { limit: options.limit }) })) out.push(value)
    return out
  }
  return {
    async put (v) { await db.put(prefix(v.owner, v.name) + pad(v.version), v) },
    async get (owner, name, version) {
      if (version != null) return (await range(prefix(owner, name) + pad(version), { limit: 1 })).find(v => v.version === version)
      return (await range(prefix(owner, name), { reverse: true, limit: 1 }))[0]
    },
    async latest (owner) {
      const all = await range(owner == null ? 'v/' : `v/${owner}/`)
      const byName = new Map<string, AlgorithmVersion>()
      for (const v of all) byName.set(`${v.owner}/${v.name}`, v)
      return [...byName.values()]
    },
    async versions (owner, name) { return await range(prefix(owner, name)) },
    async all () { return await range('v/') },
    async remove (owner, name) {
      const all = await range(prefix(owner, name))
      for (const v of all) await db.del(prefix(owner, name) + pad(v.version))
      return all
    }
  }
}
