import { resolve } from 'node:path'
import { InvalidArgumentError } from '../../../errors.js'
import { findRepositoryRoot } from '../../../repo/index.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

/** `paip serve [dir]`: the web portal over a local repository, read-only, until Ctrl-C. */
export function register (program: Command, action: Action): void {
  program
    .command('serve [dir]')
    .description('browse a local protocol repository in the web portal (read-only; no daemon, no network) until Ctrl-C')
    .option('--port <port>', 'port to listen on (default: a free one, printed)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addHelpText('after', '\nExample:\n  $ paip serve ./protocols --port 8080')
    .action(action(async (ctx, dir: string | undefined, options: { port: string, host: string }) => {
      const port = Number(options.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be a port number, not "${options.port}"`)
      const root = await findRepositoryRoot(resolve(ctx.io.cwd, dir ?? '.'))
      const { createServeServer } = await import('../../../serve/index.js')
      const app = await createServeServer({ root })
      try {
        await app.listen({ port, host: options.host })
        const address = app.server.address()
        const actual = typeof address === 'object' && address != null ? address.port : port
        const host = options.host.includes(':') ? `[${options.host}]` : options.host
        const url = `http://${host}:${actual}/`
        ctx.io.stdout(ctx.globals.json ? JSON.stringify({ root, url, port: actual }) + '\n' : `serving ${root} (read-only) at ${url}\nport ${actual}; Ctrl-C stops\n`)
        await new Promise<void>(resolve => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
        })
      } finally {
        await app.close()
      }
      return undefined
    }))
}
