import type { CliIO } from './io.js'

/** Options every command accepts (`paip --json --api <url> <command>`). */
export interface GlobalOptions {
  /** The node's HTTP API; default: the local node (its home's `api` file, else 127.0.0.1:9292). */
  api?: string
  json: boolean
  /** The node home (default `PAIP_HOME` or `~/.paip`), for the local node's URL and token. */
  home?: string
}

/** What a command handler gets. */
export interface CommandContext {
  globals: GlobalOptions
  io: CliIO
  /** Aborted on Ctrl-C; pass it to every wait. */
  signal: AbortSignal
}

/**
 * What a handler returns: `data` is printed as JSON under `--json`; `text` (lines) is printed
 * for people otherwise (default: `data` as indented JSON).
 */
export interface CommandResult {
  data: unknown
  text?: string | string[]
  /** Non-zero to exit with that code after printing (e.g. `validate` found problems). */
  exitCode?: number
}

/** Wraps a handler as a commander action: builds the context, runs it, prints its result. */
export type Action = (handler: (ctx: CommandContext, ...args: any[]) => Promise<CommandResult | undefined>) => (...args: any[]) => Promise<void>
