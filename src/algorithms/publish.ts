import { parseDataPath } from '../data/index.js'
import { InvalidAlgorithmError } from './errors.js'
import { findEntry } from './files.js'
import { checkLanguage, isLanguage, LANGUAGES } from './languages.js'
import { checkTarball } from './tarball.js'
import type { AlgorithmDataFile, AlgorithmVersion } from './store.js'
import type { DataSpace } from '../data/index.js'
import type { BlobStore } from '../storage/blobs.js'
import type { Actor } from '../users/roles.js'

export interface PublishInput {
  name: string
  /** The code tarball: a `data://` path in the publisher's space. */
  code: string
  language: string
  /** `data://` paths of the files the algorithm is given. */
  data?: string[]
  /** The file whose `apply(input)` answers (default: src/<name>.py, <name>.py, src/algorithm.py, ...). */
  entry?: string
  /** Callable from other nodes (default true). */
  public?: boolean
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * Checks a publication (name, language, code tarball and its entry file, data files in the
 * publisher's space) and returns the version it makes, without its number and date.
 */
export async function checkPublication (input: PublishInput, as: Actor, components: { data: DataSpace, blobs: BlobStore }): Promise<Omit<AlgorithmVersion, 'version' | 'created'>> {
  const { data, blobs } = components
  if (typeof input.name !== 'string' || !NAME.test(input.name)) throw new InvalidAlgorithmError(`"${String(input.name).slice(0, 100)}" is not an algorithm name (letters, digits, . _ -, at most 128)`)
  if (!isLanguage(input.language)) throw new InvalidAlgorithmError(`language "${String(input.language).slice(0, 50)}" is not one of ${LANGUAGES.join(', ')}`)
  await checkLanguage(input.language)
  if (typeof input.code !== 'string') throw new InvalidAlgorithmError('code must be a data:// path to a tar.gz')
  const codePath = parseDataPath(input.code, as.name, 'file')
  const codeEntry = await data.stat(codePath, as)
  const entries = await checkTarball(blobs.path(codeEntry.cid))
  const entry = findEntry(entries, input.name, input.entry)
  if (entry == null) {
    throw new InvalidAlgorithmError(input.entry != null
      ? `the code tarball has no ${input.entry}`
      : `the code tarball has no entry file: src/${input.name}.py, ${input.name}.py, src/algorithm.py, algorithm.py or main.py (or name one with entry)`)
  }
  if (input.data != null && !Array.isArray(input.data)) throw new InvalidAlgorithmError('data must be a list of data:// paths')
  const files: AlgorithmDataFile[] = []
  for (const p of input.data ?? []) {
    const parsed = parseDataPath(String(p), as.name, 'file')
    const found = await data.stat(parsed, as)
    files.push({ path: found.path, cid: found.cid, size: found.size })
  }
  return { owner: as.name, name: input.name, language: input.language, code: codeEntry.cid, entry, data: files, public: input.public !== false }
}
