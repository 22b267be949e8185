import { setFlagsFromString } from 'node:v8'
import { Option } from 'commander'
import { PaipError } from '../../../errors.js'
import { loadConfig, SETTINGS } from '../../../node/config.js'
import { resolveHome } from '../../../node/home.js'
import { startClock } from '../../../node/start-clock.js'
import type { Command } from 'commander'
import type { Action, CommandContext } from '../../context.js'

/** Stopping took longer than `shutdownTimeout`. */
export class StopTimeoutError extends PaipError {
  static name = 'StopTimeoutError'
  name = 'StopTimeoutError'
  constructor (ms: number) { super(`the node did not stop within ${ms} ms`, 'timeout') }
}

export function registerDaemon (program: Command, action: Action): void {
  const command = program
    .command('daemon')
    .description('run a grid node: libp2p (TCP, WebSockets, kad-dht) and the HTTP API, until Ctrl-C')
  for (const setting of SETTINGS) {
    if (setting.flag == null) continue
    const flag = setting.type === 'boolean' ? `--${setting.flag}` : setting.type === 'list' ? `--${setting.flag} <value...>` : `--${setting.flag} <value>`
    const option = new Option(flag, `${setting.doc} [env ${setting.env}]`)
    if (setting.values != null) option.choices(setting.values)
    command.addOption(option)
  }
  command
    .addHelpText('after', '\nConfig precedence: <home>/config.yaml, then PAIP_* environment variables, then these flags.\n\nExample:\n  $ paip daemon --home ./node1 --api-port 9393 --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...')
    .action(action(async (ctx: CommandContext, options: Record<string, unknown>) => runDaemon(ctx, options)))
}

async function runDaemon (ctx: CommandContext, options: Record<string, unknown>): Promise<undefined> {
  const { io } = ctx
  // each step of a real daemon process's start, on GET /metrics (not when tests run the command in-process)
  const clock = io.env === process.env ? startClock() : undefined
  clock?.mark('node and CLI')
  const home = resolveHome({ home: ctx.globals.home, env: io.env, cwd: io.cwd })
  const flags: Record<string, unknown> = {}
  for (const setting of SETTINGS) {
    if (setting.flag == null) continue
    const value = options[camel(setting.flag)]
    if (value !== undefined) flags[setting.path] = value
  }
  const loaded = await loadConfig({ home, env: io.env, flags })
  for (const warning of loaded.warnings) io.stderr(`paip: warning: ${warning}\n`)
  if (ctx.signal.aborted) return undefined
  clock?.mark('config')

  // loaded here, not at the top: libp2p and fastify take a while to load, and other commands do
  // not need them (V8's compile cache was tried: no faster here, and 4 MB more resident)
  // a young generation that does not grow keeps an idle daemon ~20 MB smaller, and V8's
  // optimize-for-size (smaller heap growth steps, memory reducer) ~17 MB more at the same idle
  // CPU (bench: node); only in a real daemon process, not when tests run the command in-process
  if (io.env === process.env && io.env.PAIP_V8_DEFAULTS !== '1') {
    setFlagsFromString('--semi-space-growth-factor=1')
    setFlagsFromString('--optimize-for-size')
  }
  const { createNode } = await import('../../../node/node.js')
  clock?.mark('node modules')
  const node = createNode({ home, config: loaded.config, startClock: clock, onWarning: message => { io.stderr(`paip: warning: ${message}\n`) } })
  await node.start()
  const { host } = node.components
  const started = { event: 'started', peerId: host.peerId.toString(), url: node.url, home, addresses: host.getMultiaddrs().map(a => a.toString()), pid: process.pid }
  if (ctx.globals.json) {
    io.stdout(JSON.stringify(started) + '\n')
  } else {
    io.stdout([
      `paip node ${started.peerId} started (home ${home})`,
      `HTTP API: ${started.url}`,
      ...started.addresses.map(a => `listening: ${a}`),
      'Ctrl-C to stop'
    ].join('\n') + '\n')
  }

  await new Promise<void>(resolve => {
    if (ctx.signal.aborted) resolve()
    ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
  })

  const ms = loaded.config.shutdownTimeout
  let timer: NodeJS.Timeout | undefined
  const timedOut = await Promise.race([
    node.stop().then(() => false),
    new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(true) }, ms) })
  ])
  clearTimeout(timer)
  if (timedOut) {
    io.stderr(`paip: the node did not stop within ${ms} ms: exiting anyway\n`)
    // a real daemon process must not hang on: in-process runs (tests) get the error instead
    if (io.env === process.env) process.exit(1)
    throw new StopTimeoutError(ms)
  }
  if (ctx.globals.json) io.stdout(JSON.stringify({ event: 'stopped', peerId: started.peerId }) + '\n')
  else io.stdout('paip node stopped\n')
  return undefined
}

function camel (flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
