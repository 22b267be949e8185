import path from 'node:path'
import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import { putFile } from '../data/index.js'
import type { AlgorithmVersion, CallResult } from '../../../algorithms/index.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

function versionLine (v: AlgorithmVersion): string {
  return `${v.owner}/${v.name}@${v.version}  ${v.language}  ${v.entry}  ${v.data.length} data file(s)${v.public ? '' : '  private'}`
}

/** `user/name[@version]` → the route path and query. */
function callPath (ref: string): { path: string, version?: string } {
  const match = /^([^/\s]+)\/([^/@\s]+)(?:@(\d+))?$/.exec(ref)
  if (match == null) throw new InvalidArgumentError(`not an algorithm reference: ${ref} (expected <user>/<name>[@version], .my/<name> for yours)`)
  return { path: `/api/v1/algorithms/${encodeURIComponent(match[1])}/${encodeURIComponent(match[2])}`, ...(match[3] == null ? {} : { version: match[3] }) }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/** `paip algo publish|call|list|show|rm`. */
export function register (program: Command, action: Action): void {
  const group = program.command('algo')
    .description('algorithms: publish code that answers JSON calls, call it from any node of the grid')
    .addHelpText('after', "\nExample:\n  $ paip algo publish resize --code resize.tar.gz --language python3\n  $ paip algo call .my/resize '{\"width\": 64}'")

  group.command('publish')
    .argument('<name>', 'the algorithm\'s name (letters, digits, . _ -)')
    .requiredOption('--code <tar.gz | data://...>', 'a local tar.gz (uploaded to data://.my/algorithm-code/) or a data:// path')
    .requiredOption('--language <language>', 'python3, python2, pytorch, tensorflow-2.3 or tensorflow-1.14')
    .option('--data <data://...>', 'a data file the algorithm is given (repeat for more)', collect, [])
    .option('--entry <file>', 'the file in the tarball whose apply(input) answers (default: src/<name>.py, <name>.py, src/algorithm.py, algorithm.py, main.py)')
    .option('--private', 'only callable on this node (not announced on the grid)', false)
    .description('publish a new version of an algorithm on the node')
    .action(action(async (ctx, name: string, options: { code: string, language: string, data: string[], entry?: string, private: boolean }) => {
      const api = await apiFromContext(ctx)
      let code = options.code
      if (!code.startsWith('data://')) {
        const uploaded = await putFile(api, path.resolve(ctx.io.cwd, code), `data://.my/algorithm-code/${name}.tar.gz`, ctx.signal)
        code = uploaded.path
      }
      const v = await api.post<AlgorithmVersion>('/api/v1/algorithms', {
        name, code, language: options.language, data: options.data, ...(options.entry == null ? {} : { entry: options.entry }), public: !options.private
      }, { signal: ctx.signal })
      return { data: v, text: `published ${versionLine(v)}` }
    }))

  group.command('call')
    .argument('<ref>', '<user>/<name>[@version] (.my/<name> for yours)')
    .argument('[payload]', 'the JSON input', 'null')
    .option('--timeout <seconds>', 'give up (and stop it) after this long', '300')
    .description('call an algorithm with a JSON payload (on the node hosting it) and print its JSON result')
    .action(action(async (ctx, ref: string, payload: string, options: { timeout: string }) => {
      let input: unknown
      try { input = JSON.parse(payload) } catch { throw new InvalidArgumentError(`the payload is not JSON: ${payload.slice(0, 100)}`) }
      const seconds = Number(options.timeout)
      if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('--timeout is a number of seconds')
      const api = await apiFromContext(ctx)
      const target = callPath(ref)
      const answer = await api.post<CallResult>(target.path, input, {
        query: { timeout: seconds, version: target.version },
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(seconds * 1000 + 120_000)])
      })
      return { data: answer, text: JSON.stringify(answer.result, null, 2) }
    }))

  group.command('list')
    .option('--owner <user>', 'only this user\'s')
    .description('the algorithms published on the node (latest version of each)')
    .action(action(async (ctx, options: { owner?: string }) => {
      const api = await apiFromContext(ctx)
      const { algorithms } = await api.get<{ algorithms: AlgorithmVersion[] }>('/api/v1/algorithms', { query: { owner: options.owner }, signal: ctx.signal })
      return { data: algorithms, text: algorithms.length === 0 ? 'no algorithms' : algorithms.map(versionLine) }
    }))

  group.command('show')
    .argument('<ref>', '<user>/<name>[@version]')
    .description('one algorithm version published on the node')
    .action(action(async (ctx, ref: string) => {
      const api = await apiFromContext(ctx)
      const target = callPath(ref)
      const v = await api.get<AlgorithmVersion>(target.path, { query: { version: target.version }, signal: ctx.signal })
      return { data: v, text: [versionLine(v), `code ${v.code}`, ...v.data.map(d => `data ${d.path} ${d.cid}`)] }
    }))

  group.command('rm')
    .argument('<ref>', '<user>/<name>')
    .description('remove every version of an algorithm from the node')
    .action(action(async (ctx, ref: string) => {
      const api = await apiFromContext(ctx)
      const answer = await api.delete<{ removed: AlgorithmVersion[] }>(callPath(ref).path, undefined, { signal: ctx.signal })
      return { data: answer, text: `removed ${answer.removed.length} version(s) of ${ref}` }
    }))
}
