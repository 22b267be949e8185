import { dhtKey, KEY_NAMESPACES } from '../net/keys.js'
import { parseBlobCid } from '../storage/index.js'
import type { CatalogEntry } from './store.js'
import type { EntryKind } from './schema.js'
import type { CID } from 'multiformats/cid'

const TAG = { dataset: KEY_NAMESPACES.datasetTag, model: KEY_NAMESPACES.modelTag } as const
const NAME = { dataset: KEY_NAMESPACES.datasetName, model: KEY_NAMESPACES.modelName } as const

/** The DHT key under which the holders of a tag are provided (`paip:dataset-tag:#mnist`). */
export function tagKey (kind: EntryKind, tag: string): CID {
  return dhtKey(TAG[kind], tag)
}

/** The DHT key for a name (`paip:dataset-name:mnist`; names compared in lower case). */
export function nameKey (kind: EntryKind, name: string): CID {
  return dhtKey(NAME[kind], name.toLowerCase())
}

/** A search term: a tag (`#mnist`) or a name. */
export function termKey (kind: EntryKind, term: string): CID {
  return term.startsWith('#') ? tagKey(kind, term) : nameKey(kind, term)
}

/** Every key an entry is provided under: its tags, its name and its manifest CID. */
export function entryKeys (entry: CatalogEntry): CID[] {
  return [
    ...entry.tags.map(tag => tagKey(entry.kind, tag)),
    nameKey(entry.kind, entry.name),
    parseBlobCid(entry.manifest)
  ]
}
