import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { InvalidWorkflowError, parseWorkflow, runWorkflow, WorkflowConfigError } from '../../../workflow/index.js'
import type { Action, CommandContext } from '../../context.js'
import type { Command } from 'commander'

async function readWorkflow (ctx: CommandContext, file: string | undefined): Promise<{ file: string, text: string }> {
  const name = file ?? ctx.io.env.WORKFLOW_NAME
  if (name == null || name === '') throw new WorkflowConfigError('name the workflow file, or set WORKFLOW_NAME')
  const full = path.resolve(ctx.io.cwd, name)
  try {
    return { file: name, text: await readFile(full, 'utf8') }
  } catch (err: any) {
    throw new WorkflowConfigError(`cannot read the workflow ${name}: ${err?.code === 'ENOENT' ? 'no such file' : err?.message ?? err}`)
  }
}

function env (ctx: CommandContext, name: string, required: boolean): string | undefined {
  const value = ctx.io.env[name]
  if ((value == null || value === '') && required) throw new WorkflowConfigError(`${name} is not set`)
  return value === '' ? undefined : value
}

/** `paip workflow validate|run`: seed 004's export-and-test workflows. */
export function register (program: Command, action: Action): void {
  const group = program.command('workflow')
    .description('export algorithms from a source node to a destination node and QC-test them (seed 004 workflow files)')
    .addHelpText('after', '\nExample:\n  $ paip workflow validate workflows/image_pipeline.json\n  $ SOURCE_API_KEY=... DESTINATION_API_ADDRESS=http://127.0.0.1:9393 DESTINATION_API_KEY=... paip workflow run workflows/image_pipeline.json')

  group.command('validate')
    .argument('[file]', 'the workflow file (default: $WORKFLOW_NAME)')
    .description('check every field of a workflow file; problems are listed at their JSON path')
    .action(action(async (ctx, file?: string) => {
      const { file: name, text } = await readWorkflow(ctx, file)
      let problems
      try {
        const workflow = parseWorkflow(text)
        const tests = workflow.test_info?.tests.length ?? 0
        return { data: { file: name, ok: true, problems: [] }, text: `${name}: valid (${workflow.algorithms.length} algorithm(s), ${tests} test(s))` }
      } catch (err) {
        if (!(err instanceof InvalidWorkflowError)) throw err
        problems = err.problems
      }
      return {
        data: { file: name, ok: false, problems },
        text: [...problems.map(p => `${name}: ${p.path === '' ? '/' : p.path}: ${p.message}`), `${problems.length} problem(s)`],
        exitCode: 2
      }
    }))

  group.command('run')
    .argument('[file]', 'the workflow file (default: $WORKFLOW_NAME)')
    .description('copy each algorithm (code, data files; verified by CID) from the source node to the destination node, publish it there, call it with its test payload, then run the tests against the entrypoint')
    .addHelpText('after', '\nEnvironment: SOURCE_API_KEY, SOURCE_CA_CERT (optional), DESTINATION_API_ADDRESS, DESTINATION_API_KEY,\nDESTINATION_CA_CERT (optional), WORKFLOW_NAME (when no file is given).\nExit status: 0 when every step and test passed, 1 when one failed (the report says which and why).')
    .action(action(async (ctx, file?: string) => {
      const { text } = await readWorkflow(ctx, file)
      const workflow = parseWorkflow(text)
      const report = await runWorkflow({
        workflow,
        source: { key: env(ctx, 'SOURCE_API_KEY', true) as string, caCert: env(ctx, 'SOURCE_CA_CERT', false) },
        destination: {
          url: env(ctx, 'DESTINATION_API_ADDRESS', true) as string,
          key: env(ctx, 'DESTINATION_API_KEY', true) as string,
          caCert: env(ctx, 'DESTINATION_CA_CERT', false)
        },
        onProgress: line => { ctx.io.stderr(line + '\n') },
        signal: ctx.signal
      })
      if (!report.ok) ctx.io.stderr(`workflow failed: ${report.failed ?? 'a step failed'}\n`)
      const lines = report.steps.map(s => `${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(12)} ${s.algorithm}${s.what == null ? '' : `  ${s.what}`}  ${s.duration} ms`)
      lines.push(report.ok ? `passed: ${report.steps.length} steps, ${report.bytes} bytes moved in ${report.duration} ms` : `FAILED: ${report.failed ?? ''}`)
      return { data: report, text: lines, exitCode: report.ok ? 0 : 1 }
    }))
}
