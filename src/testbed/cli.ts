import { parseArgs } from 'node:util'
import { startTestbed } from './index.js'

const USAGE = `Usage: npm run testbed -- --nodes N [--dir <dir>] [--logs]

Starts a bootstrap node and N-1 more paip daemons on loopback, each in its own home,
prints each node's API URL and peer ID, and stops them all on Ctrl-C.

Example:
  $ npm run testbed -- --nodes 5
  $ paip --api <url of a node> peers`

/** `bin/testbed`: a local multi-node grid for trying things out. */
export async function main (argv: string[] = process.argv.slice(2)): Promise<number> {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string', short: 'n', default: '3' },
        dir: { type: 'string' },
        logs: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    }))
  } catch (err: any) {
    process.stderr.write(`testbed: ${err.message}\n${USAGE}\n`)
    return 2
  }
  if (values.help === true) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  const count = Number(values.nodes)
  if (!Number.isInteger(count) || count < 1 || count > 200) {
    process.stderr.write('testbed: --nodes must be an integer from 1 to 200\n')
    return 2
  }

  const controller = new AbortController()
  const onSignal = (): void => { controller.abort() }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.stdout.write(`starting ${count} node(s)...\n`)
  const testbed = await startTestbed({
    nodes: count,
    dir: values.dir,
    signal: controller.signal,
    onLog: values.logs === true ? (i, line) => { process.stderr.write(`[node${i}] ${line}\n`) } : undefined
  }).catch((err: Error) => {
    process.stderr.write(`testbed: ${err.message}\n`)
    return undefined
  })
  if (testbed == null) return 1

  process.stdout.write(`homes in ${testbed.dir}\n`)
  for (const node of testbed.nodes) {
    process.stdout.write(`node${node.index}${node.index === 0 ? ' (bootstrap)' : ''}  ${node.url}  ${node.peerId}\n`)
  }
  process.stdout.write(`bootstrap address: ${testbed.bootstrap.addresses[0]}\n`)
  process.stdout.write(`try: paip --api ${testbed.nodes.at(-1)?.url} peers\nCtrl-C stops every node\n`)

  await new Promise<void>(resolve => {
    if (controller.signal.aborted) resolve()
    controller.signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
  process.stdout.write('stopping...\n')
  await testbed.stop()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.stdout.write('all nodes stopped\n')
  return 0
}
