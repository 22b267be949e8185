import { MAX_PATH_LENGTH, MY, SCHEME } from './constants.js'
import { InvalidDataPathError } from './errors.js'

/**
 * `data://<user>/<collection>/<path>`: a file in a user's data space. `.my` stands for the
 * caller's user. A path with no file part names a collection (or, with no collection, the
 * user's whole space), for listings and recursive deletes.
 */
export interface DataPath {
  user: string
  /** '' when the path names the user's whole space. */
  collection: string
  /** `/`-separated path in the collection; '' when the path names a collection. */
  file: string
}

const USER = /^[a-z0-9][a-z0-9._-]{0,62}$/
const COLLECTION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\u0000-\u001f\u007f\\]/

export function isDataPath (text: string): boolean {
  return typeof text === 'string' && text.startsWith(SCHEME)
}

/**
 * Parses a `data://` path; `.my` becomes `caller` (required when the path uses `.my`).
 * `need` says what the path must name: a file, or at least a collection.
 */
export function parseDataPath (text: string, caller?: string, need: 'file' | 'collection' | 'any' = 'any'): DataPath {
  if (typeof text !== 'string' || !text.startsWith(SCHEME)) throw new InvalidDataPathError(`not a data path: ${String(text)} (expected data://<user>/<collection>/<path>)`, { path: text })
  if (text.length > MAX_PATH_LENGTH) throw new InvalidDataPathError(`data path longer than ${MAX_PATH_LENGTH} characters`, { path: text.slice(0, 80) })
  if (BAD_CHARS.test(text)) throw new InvalidDataPathError(`data path ${JSON.stringify(text)} holds control characters or backslashes`, { path: text })
  const rest = text.slice(SCHEME.length).replace(/\/+$/, '')
  const parts = rest.split('/')
  let user = parts[0] ?? ''
  if (user === MY) {
    if (caller == null || caller === '') throw new InvalidDataPathError(`${text}: .my needs a caller (a token)`, { path: text })
    user = caller
  }
  if (!USER.test(user) && user !== 'admin') throw new InvalidDataPathError(`${text}: "${user}" is not a user name (or .my)`, { path: text })
  const collection = parts[1] ?? ''
  if (collection !== '' && !COLLECTION.test(collection)) throw new InvalidDataPathError(`${text}: "${collection}" is not a collection name (letters, digits, . _ -)`, { path: text })
  const segments = parts.slice(2)
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw new InvalidDataPathError(`${text}: empty, . or .. segments are not allowed`, { path: text })
  }
  const file = segments.join('/')
  if (need === 'file' && file === '') throw new InvalidDataPathError(`${text} names no file (data://<user>/<collection>/<path>)`, { path: text })
  if (need === 'collection' && collection === '') throw new InvalidDataPathError(`${text} names no collection (data://<user>/<collection>)`, { path: text })
  return { user, collection, file }
}

export function formatDataPath (p: DataPath): string {
  return SCHEME + [p.user, p.collection, p.file].filter(s => s !== '').join('/')
}

/** The database key of a path (a prefix of every key under it when it names no file). */
export function dataKey (p: DataPath): string {
  return [p.user, p.collection, p.file].filter(s => s !== '').join('/')
}
