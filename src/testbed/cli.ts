import { parseArgs } from 'node:util'
import { cleanupNetns, startTestbed } from './index.js'
import { NETNS_DELAY, NETNS_LOSS } from './constants.js'

const USAGE = `Usage: npm run testbed -- --nodes N [--dir <dir>] [--logs]
       npm run testbed -- --netns [--nodes N] [--delay ms] [--loss %] [--dir <dir>] [--logs]
       npm run testbed -- --netns --cleanup

Starts a bootstrap node and N-1 more paip daemons, each in its own home, prints each node's
API URL and peer ID, and stops them all on Ctrl-C.

--netns (root): every node in a network namespace of its own, on a bridge, at 10.77.X.<i+2>;
packets between two nodes wait --delay ms (default ${NETNS_DELAY}, so the RTT is twice that) and
--loss % of them are dropped (default ${NETNS_LOSS}) on each way. Ctrl-C removes the namespaces;
--cleanup removes those a crashed testbed left behind.

Example:
  $ npm run testbed -- --nodes 5
  $ sudo npm run testbed -- --netns --nodes 30
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
        netns: { type: 'boolean', default: false },
        delay: { type: 'string' },
        loss: { type: 'string' },
        cleanup: { type: 'boolean', default: false },
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
  if (values.netns !== true && (values.cleanup === true || values.delay != null || values.loss != null)) {
    process.stderr.write('testbed: --cleanup, --delay and --loss go with --netns\n')
    return 2
  }
  if (values.cleanup === true) {
    try {
      const removed = await cleanupNetns()
      process.stdout.write(removed.length === 0 ? 'nothing to clean up\n' : `removed testbed network(s) ${removed.join(', ')}\n`)
      return 0
    } catch (err: any) {
      process.stderr.write(`testbed: ${err.message}\n`)
      return 1
    }
  }
  const count = Number(values.nodes)
  if (!Number.isInteger(count) || count < 1 || count > 200) {
    process.stderr.write('testbed: --nodes must be an integer from 1 to 200\n')
    return 2
  }
  const delay = Number(values.delay ?? NETNS_DELAY)
  const loss = Number(values.loss ?? NETNS_LOSS)
  if (values.delay?.trim() === '' || !Number.isFinite(delay) || delay < 0 || delay > 10_000) {
    process.stderr.write('testbed: --delay must be a number of milliseconds from 0 to 10000\n')
    return 2
  }
  if (values.loss?.trim() === '' || !Number.isFinite(loss) || loss < 0 || loss > 100) {
    process.stderr.write('testbed: --loss must be a percentage from 0 to 100\n')
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
    netns: values.netns === true ? { delay, loss } : undefined,
    signal: controller.signal,
    onLog: values.logs === true ? (i, line) => { process.stderr.write(`[node${i}] ${line}\n`) } : undefined
  }).catch((err: Error) => {
    process.stderr.write(`testbed: ${err.message}\n`)
    return undefined
  })
  if (testbed == null) return 1

  process.stdout.write(`homes in ${testbed.dir}\n`)
  if (testbed.network != null) {
    const { network } = testbed
    process.stdout.write(`network namespaces ${network.nodes[0].namespace}...; nodes on ${network.subnet}, this host at ${network.hostAddress}; ${network.shaper === 'none' ? 'no delay' : `${delay} ms each way, ${loss}% loss (${network.shaper})`}\n`)
  }
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
