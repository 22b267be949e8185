import { PaipError } from '../errors.js'

/** Metadata that fails its schema (missing or bad fields, malformed tags). */
export class InvalidMetadataError extends PaipError {
  static name = 'InvalidMetadataError'
  name = 'InvalidMetadataError'
  constructor (message: string, readonly problems: string[] = []) { super(message, 'invalid-input', { problems }) }
}

/** A tag that is not `#` followed by lower-case words joined by `-`. */
export class InvalidTagError extends PaipError {
  static name = 'InvalidTagError'
  name = 'InvalidTagError'
  constructor (readonly tag: string) { super(`malformed tag ${JSON.stringify(tag.slice(0, 80))}: tags are # followed by lower-case words joined by - (e.g. #mnist, #boston-housing)`, 'invalid-input', { tag }) }
}

/** A search with no terms, or with too many. */
export class InvalidQueryError extends PaipError {
  static name = 'InvalidQueryError'
  name = 'InvalidQueryError'
  constructor (message: string) { super(message, 'invalid-input') }
}

/** The path to add does not exist. */
export class PathNotFoundError extends PaipError {
  static name = 'PathNotFoundError'
  name = 'PathNotFoundError'
  constructor (readonly path: string) { super(`no such file or directory: ${path}`, 'not-found', { path }) }
}

/** A device, socket, FIFO or other file that is neither a regular file nor a directory. */
export class SpecialFileError extends PaipError {
  static name = 'SpecialFileError'
  name = 'SpecialFileError'
  constructor (readonly path: string) { super(`not a regular file or directory: ${path}`, 'invalid-input', { path }) }
}

/** A symbolic link whose target is outside the dataset's directory. */
export class SymlinkOutsideError extends PaipError {
  static name = 'SymlinkOutsideError'
  name = 'SymlinkOutsideError'
  constructor (readonly path: string) { super(`symbolic link points outside the dataset: ${path}`, 'invalid-input', { path }) }
}

/** A directory tree over the file count or depth limits. */
export class TreeTooLargeError extends PaipError {
  static name = 'TreeTooLargeError'
  name = 'TreeTooLargeError'
  constructor (message: string) { super(message, 'too-large') }
}

/** No dataset or model with that name or CID (on this node, or on the grid). */
export class EntryNotFoundError extends PaipError {
  static name = 'EntryNotFoundError'
  name = 'EntryNotFoundError'
  constructor (readonly entryKind: string, readonly ref: string) { super(`no ${entryKind} ${JSON.stringify(ref)}`, 'not-found', { kind: entryKind, ref }) }
}

/** An entry with that name already exists with other content. */
export class EntryExistsError extends PaipError {
  static name = 'EntryExistsError'
  name = 'EntryExistsError'
  constructor (readonly entryKind: string, readonly entryName: string, readonly owner?: string) {
    super(`a ${entryKind} named ${JSON.stringify(entryName)} already exists with other content${owner == null ? '' : ` (owned by ${owner})`}`, 'conflict', { kind: entryKind, name: entryName, ...(owner == null ? {} : { owner }) })
  }
}

/** A name that matches several different datasets on the grid: use the manifest CID. */
export class AmbiguousRefError extends PaipError {
  static name = 'AmbiguousRefError'
  name = 'AmbiguousRefError'
  constructor (readonly ref: string, readonly manifests: string[]) { super(`${JSON.stringify(ref)} names ${manifests.length} different entries on the grid: use one of the manifest CIDs`, 'conflict', { ref, manifests }) }
}

/** The dataset is private: its files never leave its node. */
export class EntryPrivateError extends PaipError {
  static name = 'EntryPrivateError'
  name = 'EntryPrivateError'
  constructor (readonly ref: string) { super(`${ref} is private: its files never leave its node`, 'forbidden', { ref }) }
}

/** No holder of the content could be reached, or every one failed. */
export class FetchFailedError extends PaipError {
  static name = 'FetchFailedError'
  name = 'FetchFailedError'
  constructor (message: string, readonly failures: string[] = []) { super(message, 'unavailable', { failures }) }
}

/** A manifest that is not well formed. */
export class InvalidManifestError extends PaipError {
  static name = 'InvalidManifestError'
  name = 'InvalidManifestError'
  constructor (message: string) { super(message, 'corrupt') }
}

/** An uploaded file's name that cannot name a file (empty, `.`, `..`, a path, control characters). */
export class InvalidFileNameError extends PaipError {
  static name = 'InvalidFileNameError'
  name = 'InvalidFileNameError'
  constructor (filename: string) { super(`not a file name: ${JSON.stringify(filename.slice(0, 100))} (one name, no "/", "\\\\", ".", ".." or control characters)`, 'invalid-input') }
}

/** An uploaded tree that cannot be stored as it is: an unsafe or repeated path, no files. */
export class InvalidUploadError extends PaipError {
  static name = 'InvalidUploadError'
  name = 'InvalidUploadError'
  constructor (message: string) { super(message, 'invalid-input') }
}
