import { Command, CommanderError, Option } from 'commander'
import { isPaipError } from '../errors.js'
import { registerCommands } from './commands/index.js'
import { exitCodeFor } from './exit-codes.js'
import { VERSION } from '../version.js'
import type { Action, CommandContext, CommandResult, GlobalOptions } from './context.js'
import type { CliIO } from './io.js'


export interface RunOptions {
  io: CliIO
  signal?: AbortSignal
}

/** Runs the CLI on `argv` (without node and script) and resolves to its exit code. */
export async function runCli (argv: string[], options: RunOptions): Promise<number> {
  const { io } = options
  const signal = options.signal ?? new AbortController().signal
  let exitCode = 0

  const program = new Command('paip')
    .description('paip: a peer-to-peer grid for machine-learning work')
    .version(VERSION, '-V, --version')
    // the root's own options are read only before the command word, so that a command's own
    // option (`paip pull mnist --version 1`) is never taken by the root
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
  for (const option of globalOptions()) program.addOption(option)
    .exitOverride()
    .configureOutput({
      writeOut: text => { io.stdout(text) },
      writeErr: text => { io.stderr(text) },
      outputError: (text, write) => { write(text) }
    })

  const action: Action = handler => async (...args: any[]) => {
    const command = args.at(-1) as Command
    const globals = command.optsWithGlobals() as GlobalOptions
    const ctx: CommandContext = { globals: { ...globals, json: globals.json === true }, io, signal }
    const result = await handler(ctx, ...args.slice(0, -1))
    if (result == null) return
    print(result, ctx)
    exitCode = result.exitCode ?? 0
  }

  await registerCommands(program, action, argv)
  // every subcommand reports errors through the same overrides as the root, and accepts the
  // global options after its words too (`paip status --json`)
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput(program.configureOutput())
    addGlobalOptions(command)
  }

  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (err: any) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were already printed
      return err.exitCode === 0 ? 0 : 2
    }
    report(err, argv.includes('--json'), io)
    return exitCodeFor(err)
  }
}

/** The options every command accepts, before or after its words; the root's `--version` is not one. */
export function globalOptions (): Option[] {
  return [
    new Option('--api <url>', 'HTTP API of the node to talk to (default: the local node)'),
    new Option('--home <dir>', 'node home (default: $PAIP_HOME or ~/.paip)'),
    new Option('--json', 'print results as JSON for programs')
  ]
}

/**
 * Gives a command its own copy of the global options (shown in a leaf's help, hidden in a
 * group's). A command that defines one of them itself is a programming error, caught here.
 */
function addGlobalOptions (command: Command): void {
  const leaf = command.commands.length === 0
  for (const option of globalOptions()) {
    const clash = command.options.find(o => o.long === option.long)
    if (clash != null) throw new Error(`paip ${command.name()}: option ${option.long} clashes with the global option`)
    command.addOption(leaf ? option : option.hideHelp())
  }
}

export function * allCommands (command: Command): Generator<Command> {
  for (const sub of command.commands) {
    yield sub
    yield * allCommands(sub)
  }
}

function print (result: CommandResult, ctx: CommandContext): void {
  if (ctx.globals.json) {
    ctx.io.stdout(JSON.stringify(result.data, null, 2) + '\n')
    return
  }
  const text = result.text ?? JSON.stringify(result.data, null, 2)
  const lines = Array.isArray(text) ? text : [text]
  if (lines.length > 0) ctx.io.stdout(lines.join('\n') + '\n')
}

/** The one place the CLI prints an error: one line for people, an object under --json. */
function report (err: any, json: boolean, io: CliIO): void {
  const message = isPaipError(err) ? err.message : (err?.message ?? String(err))
  if (json) {
    io.stdout(JSON.stringify({ error: { name: err?.name ?? 'Error', kind: err?.kind ?? 'internal', message, details: err?.details } }, null, 2) + '\n')
  }
  io.stderr(`paip: ${message}\n`)
  if (!isPaipError(err) && io.env.DEBUG != null) io.stderr(`${err?.stack ?? ''}\n`)
}
