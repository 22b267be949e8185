import { PaipError } from '../errors.js'

/** `config.yaml` is not valid YAML: the message names the file and line. */
export class ConfigSyntaxError extends PaipError {
  static name = 'ConfigSyntaxError'
  name = 'ConfigSyntaxError'
  constructor (readonly file: string, readonly line: number | undefined, reason: string) {
    super(`${file}${line == null ? '' : `:${line}`}: malformed YAML: ${reason}`, 'invalid-input', { file, line })
  }
}

export interface ConfigProblem {
  /** Dot path of the bad key, e.g. `api.port`. */
  path: string
  /** Where the value came from: a file, an environment variable or a flag. */
  source: string
  message: string
}

/** A config value has the wrong type or is out of range; every bad key is listed by path. */
export class ConfigInvalidError extends PaipError {
  static name = 'ConfigInvalidError'
  name = 'ConfigInvalidError'
  constructor (readonly problems: ConfigProblem[]) {
    super(`invalid config: ${problems.map(p => `${p.path} (${p.source}): ${p.message}`).join('; ')}`, 'invalid-input', { problems })
  }
}

/** Another daemon holds the node home. */
export class NodeHomeBusyError extends PaipError {
  static name = 'NodeHomeBusyError'
  name = 'NodeHomeBusyError'
  constructor (readonly home: string, readonly pid?: number) {
    super(`node home ${home} is in use by another daemon${pid == null ? '' : ` (pid ${pid})`}: stop it first or use another --home`, 'busy', { home, pid })
  }
}

/** The node's database could not be opened; nothing was changed. */
export class DatabaseCorruptError extends PaipError {
  static name = 'DatabaseCorruptError'
  name = 'DatabaseCorruptError'
  constructor (readonly path: string, reason: string, options?: ErrorOptions) {
    super(`the node database at ${path} cannot be opened (${reason}); it was left untouched: move it away to start afresh, or restore a backup`, 'corrupt', { path }, options)
  }
}

/** The identity key (file, config or env) is not a valid private key. */
export class IdentityInvalidError extends PaipError {
  static name = 'IdentityInvalidError'
  name = 'IdentityInvalidError'
  constructor (source: string, reason: string) {
    super(`the node identity in ${source} is not valid: ${reason}`, 'corrupt', { source })
  }
}

/** A port the node must listen on is taken. */
export class PortInUseError extends PaipError {
  static name = 'PortInUseError'
  name = 'PortInUseError'
  constructor (readonly address: string, readonly port: number, what: string, options?: ErrorOptions) {
    super(`port ${port} is already in use (${what} on ${address}): choose another port or stop what uses it`, 'busy', { address, port }, options)
  }
}
