import { InvalidArgumentError } from '../../../errors.js'
import { formatProblem, MAX_PROTOCOL_BYTES, validateProtocolFiles } from '../../../protocol/index.js'
import { expandArguments } from './files.js'
import type { Problem } from '../../../protocol/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** Exit code when any file has an error (usage errors exit 2). */
export const EXIT_INVALID = 1

export interface FileReport {
  file: string
  ok: boolean
  errors: Problem[]
  warnings: Problem[]
}

export interface ValidateReport {
  ok: boolean
  strict: boolean
  files: FileReport[]
}

function parseBytes (value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`--max-bytes must be a positive integer, not ${value}`)
  return n
}

function describe (report: ValidateReport): string[] {
  const lines: string[] = []
  let errors = 0
  let warnings = 0
  for (const file of report.files) {
    for (const problem of [...file.errors, ...file.warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) lines.push(formatProblem(file.file, problem))
    errors += file.errors.length
    warnings += file.warnings.length
  }
  const valid = report.files.filter(f => f.ok).length
  const invalid = report.files.length - valid
  lines.push(`${report.files.length} file(s): ${valid} valid, ${invalid} invalid; ${errors} error(s), ${warnings} warning(s)${report.strict ? ' (strict)' : ''}`)
  return lines
}

export function registerValidate (program: Command, action: Action): void {
  program
    .command('validate')
    .description('check OpenPAI job protocols (v2) as an OpenPAI cluster would, and against the published spec; touches no repository and needs no node')
    .argument('<files...>', 'protocol files, or directories to search for *.yaml / *.yml')
    .option('--strict', 'treat the published spec\'s stricter rules (string `version`, required `prerequisites`...) as errors', false)
    .option('--max-bytes <n>', `largest file accepted (default ${MAX_PROTOCOL_BYTES})`)
    .addHelpText('after', [
      '',
      'Prints each problem as `file:line:col: error|warning: path: message`, then a summary.',
      'Exits 1 when any file has an error, 0 otherwise (warnings do not fail).',
      '',
      'Example:',
      '  $ paip validate protocols/mnist.yaml',
      '  $ paip validate --strict --json protocols/'
    ].join('\n'))
    .action(action(async (ctx, args: string[], opts: { strict?: boolean, maxBytes?: string }) => {
      const strict = opts.strict === true
      const maxBytes = opts.maxBytes != null ? parseBytes(opts.maxBytes) : undefined
      const files = await expandArguments(args, ctx.io.cwd, ctx.signal)
      if (files.length === 0) throw new InvalidArgumentError('no protocol files found (looked for *.yaml and *.yml)')
      const results = await validateProtocolFiles(files.map(f => f.path), { strict, maxBytes, signal: ctx.signal })
      const report: ValidateReport = {
        ok: results.every(r => r.ok),
        strict,
        files: results.map((result, i) => ({ file: files[i].name, ok: result.ok, errors: result.errors, warnings: result.warnings }))
      }
      return { data: report, text: describe(report), exitCode: report.ok ? 0 : EXIT_INVALID }
    }))
}
