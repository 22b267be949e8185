/**
 * The sending side of the transfer bench, in a process of its own (as a holder daemon is):
 * three holder nodes (`one` on the first, `three` on all three) and a raw TCP server sending
 * the same file, for the bench process to fetch and copy from. Run by bench/transfer.ts:
 * `node dist/bench/transfer-holder.js <file>`; prints one JSON line
 * `{ port, nodes: [{ id, addrs }] }` when ready, stops when its stdin closes.
 */
import { createReadStream } from 'node:fs'
import net from 'node:net'
import { pipeline } from 'node:stream/promises'
import { QUERY_SELF_INTERVAL } from '../src/node/constants.js'
import { startNodes, stopNodes } from './catalog.js'

const HOLDERS = 3

async function main (file: string): Promise<void> {
  // a daemon's self-lookup interval (DHT upkeep between the nodes of both processes every 2 s would be measured as
  // transfer CPU); the fetcher dials each holder itself, so a holder needs only the first in its table
  const nodes = await startNodes(HOLDERS, 1, { querySelfInterval: QUERY_SELF_INTERVAL })
  const server = net.createServer(socket => {
    void pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), socket).catch(() => {})
  })
  try {
    await nodes[0].catalog.add('dataset', { path: file }, { name: 'one', tags: ['#bench-one'], public: true })
    for (const node of nodes) await node.catalog.add('dataset', { path: file }, { name: 'three', tags: ['#bench-three'], public: true })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    const ready = { port, nodes: nodes.map(n => ({ id: n.host.peerId.toString(), addrs: n.host.getMultiaddrs().map(a => a.toString()) })) }
    process.stdout.write(JSON.stringify(ready) + '\n')
    await new Promise<void>(resolve => {
      process.stdin.on('close', resolve).on('end', resolve).resume()
      process.once('SIGTERM', resolve)
    })
  } finally {
    server.close()
    await stopNodes(nodes)
  }
}

main(process.argv[2]).then(() => process.exit(0), err => {
  process.stderr.write(`transfer holder: ${err?.stack ?? err}\n`)
  process.exit(1)
})
