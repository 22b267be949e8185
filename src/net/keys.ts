/**
 * The one scheme for DHT provider keys: a key is the CID (v1, raw, sha2-256) of the UTF-8 text
 * `<namespace>:<term>`. Each component names its keys in a namespace of KEY_NAMESPACES, so no
 * two components' keys collide, and builds the term from already normalised input (a tag, a
 * lower-cased name, a keyword, an ID).
 *
 * The namespace strings are those the keys had before they were gathered here (`paip:dataset-tag`,
 * `paip-keyword:paip-protocol`, ...): nodes keep their provider records in kad-dht's persistent
 * datastore, which re-provides them from there, and nodes of the previous version look them up;
 * a new spelling would orphan both. New components add a namespace `paip:<component>[-<what>]`.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'

const RAW_CODEC = 0x55
const SHA2_256 = 0x12
const encoder = new TextEncoder()

/** Every namespace of provider keys the grid uses. */
export const KEY_NAMESPACES = {
  /** `#mnist` → the holders of datasets tagged #mnist (`paip:dataset-tag:#mnist`). */
  datasetTag: 'paip:dataset-tag',
  datasetName: 'paip:dataset-name',
  modelTag: 'paip:model-tag',
  modelName: 'paip:model-name',
  /** A normalised keyword of a published protocol's record. */
  protocolKeyword: 'paip-keyword:paip-protocol',
  /** The first PREFIX_LENGTH characters of a longer protocol keyword. */
  protocolPrefix: 'paip-keyword:paip-protocol-prefix',
  /** `<owner>/<name>` of a published algorithm. */
  algorithm: 'paip:algorithm',
  /** A job's ID: the node that runs it. */
  job: 'paip-job',
  /** A federated run's ID: its coordinator. */
  fed: 'paip-fed',
  /** `v1\n<model>\n<dataset>\n<criteria>`: the publishers of an evaluation's result. */
  evaluation: 'paip-eval'
} as const

export type KeyNamespace = typeof KEY_NAMESPACES[keyof typeof KEY_NAMESPACES]

/** The provider key of a term in a namespace: CID of `<namespace>:<term>`. */
export function dhtKey (namespace: KeyNamespace, term: string): CID {
  const digest = createHash('sha256').update(encoder.encode(`${namespace}:${term}`)).digest()
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, new Uint8Array(digest)))
}
