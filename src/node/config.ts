import { readFile, writeFile } from 'node:fs/promises'
import { load, YAMLException } from 'js-yaml'
import { SETTINGS } from './config-schema.js'
import { ConfigInvalidError, ConfigSyntaxError } from './errors.js'
import { homePath } from './home.js'
import type { NodeConfig, Setting } from './config-schema.js'
import type { ConfigProblem } from './errors.js'

export type { NodeConfig, Setting }
export { SETTINGS }

/** Flag values by setting path (`{ 'api.port': '0' }`); strings are parsed like env values. */
export type ConfigFlags = Record<string, unknown>

export interface LoadConfigOptions {
  /** The node home (its `config.yaml` is read when present). */
  home?: string
  /** Read this file instead of the home's. */
  file?: string
  env?: Record<string, string | undefined>
  flags?: ConfigFlags
}

export interface LoadedConfig {
  config: NodeConfig
  /** Unknown keys and the like: reported, not fatal. */
  warnings: string[]
  /** Where each key's value came from: `default`, the file path, `PAIP_*` or `--flag`. */
  sources: Record<string, string>
  file?: string
}

/** The embedded defaults. */
export function defaultConfig (): NodeConfig {
  const config: Record<string, any> = {}
  for (const setting of SETTINGS) setPath(config, setting.path, structuredClone(setting.default))
  return config as NodeConfig
}

/**
 * The effective config: embedded defaults, then the home's `config.yaml`, then `PAIP_*`
 * environment variables, then flags. Every bad value is reported by path in one
 * `ConfigInvalidError`; unknown keys become warnings.
 */
export async function loadConfig (options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const config = defaultConfig() as unknown as Record<string, any>
  const sources: Record<string, string> = {}
  const warnings: string[] = []
  const problems: ConfigProblem[] = []
  for (const setting of SETTINGS) sources[setting.path] = 'default'

  const file = options.file ?? (options.home == null ? undefined : homePath(options.home, 'config'))
  if (file != null) {
    const text = await readFile(file, 'utf8').catch((err: any) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    if (text != null) {
      const parsed = parseYaml(text, file)
      const flat = flatten(parsed, '', warnings, file)
      for (const [path, value] of flat) {
        apply(path, value, file, false)
      }
    }
  }

  const env = options.env ?? {}
  for (const setting of SETTINGS) {
    const raw = env[setting.env]
    if (raw != null && raw !== '') apply(setting.path, raw, setting.env, true)
  }

  for (const [path, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue
    const setting = SETTINGS.find(s => s.path === path)
    apply(path, value, setting?.flag == null ? path : `--${setting.flag}`, typeof value === 'string' || (Array.isArray(value) && value.every(v => typeof v === 'string')))
  }

  if (problems.length > 0) throw new ConfigInvalidError(problems)
  return { config: config as unknown as NodeConfig, warnings, sources, file }

  function apply (path: string, value: unknown, source: string, fromText: boolean): void {
    const setting = SETTINGS.find(s => s.path === path)
    if (setting == null) {
      warnings.push(`unknown config key ${path} in ${source}: ignored`)
      return
    }
    const result = coerce(setting, value, fromText)
    if ('problem' in result) {
      problems.push({ path, source, message: result.problem })
      return
    }
    setPath(config, path, result.value)
    sources[path] = source
  }
}

function parseYaml (text: string, file: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = load(text)
  } catch (err: any) {
    if (err instanceof YAMLException || err?.mark != null) {
      const line = err.mark?.line
      throw new ConfigSyntaxError(file, typeof line === 'number' ? line + 1 : undefined, err.reason ?? err.message)
    }
    throw err
  }
  if (parsed == null) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigInvalidError([{ path: '(top level)', source: file, message: 'expected a mapping of keys to values' }])
  }
  return parsed as Record<string, unknown>
}

/** Leaf values by dot path; a mapping where a leaf is expected (or unknown sections) warns. */
function flatten (value: Record<string, unknown>, prefix: string, warnings: string[], file: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = []
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`
    const isSection = SETTINGS.some(s => s.path.startsWith(`${path}.`))
    if (isSection && child != null && typeof child === 'object' && !Array.isArray(child)) {
      out.push(...flatten(child as Record<string, unknown>, path, warnings, file))
    } else if (isSection && child == null) {
      // an empty section: nothing to set
    } else {
      out.push([path, child])
    }
  }
  return out
}

type Coerced = { value: unknown } | { problem: string }

/** Checks one value against its setting; strings from env/flags are parsed first. */
export function coerce (setting: Setting, value: unknown, fromText: boolean): Coerced {
  switch (setting.type) {
    case 'string':
      if (value == null) return { value: '' }
      if (typeof value !== 'string') return { problem: `expected a string, got ${describe(value)}` }
      return { value }
    case 'enum':
      if (typeof value !== 'string' || !(setting.values ?? []).includes(value)) {
        return { problem: `expected one of ${(setting.values ?? []).join(', ')}, got ${describe(value)}` }
      }
      return { value }
    case 'boolean':
      if (typeof value === 'boolean') return { value }
      if (fromText && typeof value === 'string') {
        if (/^(true|1|yes|on)$/i.test(value)) return { value: true }
        if (/^(false|0|no|off)$/i.test(value)) return { value: false }
      }
      return { problem: `expected true or false, got ${describe(value)}` }
    case 'integer': {
      let n = value
      if (fromText && typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = Number(value.trim())
      if (typeof n !== 'number' || !Number.isInteger(n)) return { problem: `expected an integer, got ${describe(value)}` }
      if (setting.min != null && n < setting.min) return { problem: `must be at least ${setting.min}, got ${n}` }
      if (setting.max != null && n > setting.max) return { problem: `must be at most ${setting.max}, got ${n}` }
      return { value: n }
    }
    case 'list': {
      if (value == null) return { value: [] }
      let items: unknown[]
      if (Array.isArray(value)) items = value
      else if (typeof value === 'string') items = [value]
      else return { problem: `expected a list of strings, got ${describe(value)}` }
      const out: string[] = []
      for (const item of items) {
        if (typeof item !== 'string') return { problem: `expected a list of strings, got an item ${describe(item)}` }
        // env and flags separate items by commas (multiaddrs never contain one)
        out.push(...(fromText || typeof value === 'string' ? item.split(',') : [item]).map(s => s.trim()).filter(s => s !== ''))
      }
      return { value: out }
    }
  }
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}

function setPath (target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {}
    node = node[part]
  }
  node[parts[parts.length - 1]] = value
}

export function getPath (source: unknown, path: string): unknown {
  let node: any = source
  for (const part of path.split('.')) node = node?.[part]
  return node
}

/** The effective config with secrets blanked (for `paip config show` and logs). */
export function redactConfig (config: NodeConfig): NodeConfig {
  const copy = structuredClone(config) as unknown as Record<string, any>
  for (const setting of SETTINGS) {
    if (setting.secret === true && getPath(copy, setting.path) !== '') setPath(copy, setting.path, '(set)')
  }
  return copy as unknown as NodeConfig
}

/** The commented `config.yaml` written to a new node home: every key, its default and meaning. */
export function configTemplate (): string {
  const lines = [
    '# paip node configuration.',
    '# Every key is optional: uncomment and change what you need. Precedence: this file,',
    '# then PAIP_* environment variables, then `paip daemon` flags. `paip config show` prints',
    '# the effective config.',
    ''
  ]
  let section = ''
  for (const setting of SETTINGS) {
    const parts = setting.path.split('.')
    const head = parts.length > 1 ? parts[0] : ''
    const indent = head === '' ? '' : '  '
    if (head !== section) {
      section = head
      if (head !== '') lines.push(`${head}:`)
    }
    const envLine = `env ${setting.env}${setting.flag == null ? '' : `, flag --${setting.flag}`}`
    lines.push(`${indent}# ${setting.doc} (${envLine})`)
    lines.push(`${indent}# ${parts[parts.length - 1]}: ${yamlValue(setting.default)}`)
  }
  return lines.join('\n') + '\n'
}

function yamlValue (value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(v => JSON.stringify(v)).join(', ')}]`
  if (value === '') return '""'
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** Writes the commented template when the home has no `config.yaml` yet. */
export async function ensureConfigFile (home: string): Promise<void> {
  await writeFile(homePath(home, 'config'), configTemplate(), { flag: 'wx', mode: 0o644 }).catch((err: any) => {
    if (err.code !== 'EEXIST') throw err
  })
}
