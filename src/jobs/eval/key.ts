import { dhtKey, KEY_NAMESPACES } from '../../net/keys.js'
import { InvalidJobError } from '../errors.js'
import { CID } from 'multiformats/cid'

/** Criteria as keyed: trimmed, lower-case, unique, sorted (so their order never matters). */
export function normalizeCriteria (criteria: string[] = []): string[] {
  const out = new Set<string>()
  for (const c of criteria) {
    for (const part of c.split(',')) {
      const v = part.trim().toLowerCase()
      if (v === '') continue
      if (!/^[a-z0-9][a-z0-9_.:=-]{0,127}$/.test(v)) throw new InvalidJobError(`bad evaluation criterion ${JSON.stringify(part)}`)
      out.add(v)
    }
  }
  return [...out].sort()
}

/** The CID that names an evaluation: sha2-256 of the model CID, dataset CID and criteria. */
export function evalCid (model: string, dataset: string, criteria: string[]): CID {
  return dhtKey(KEY_NAMESPACES.evaluation, ['v1', model, dataset, normalizeCriteria(criteria).join(',')].join('\n'))
}

/** The evaluation key (a base32 CID string), also the DHT provider key of its result. */
export function evalKey (model: string, dataset: string, criteria: string[]): string {
  return evalCid(model, dataset, criteria).toString()
}

export function parseEvalKey (key: string): CID {
  try {
    return CID.parse(key)
  } catch {
    throw new InvalidJobError(`not an evaluation key: ${key}`)
  }
}
