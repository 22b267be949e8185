import { apiFromContext } from '../../api.js'
import type { PeerInfo } from '../../../net/peers.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

export function registerPeers (program: Command, action: Action): void {
  program
    .command('peers')
    .description('list the peers the node is connected to or holds in its DHT routing table')
    .addHelpText('after', '\nExample:\n  $ paip peers --json')
    .action(action(async ctx => {
      const api = await apiFromContext(ctx)
      const result = await api.get<{ peers: PeerInfo[], routingTable: number }>('/api/v1/peers', { signal: ctx.signal })
      const text = result.peers.length === 0
        ? ['no peers']
        : result.peers.map(p => `${p.peerId} ${p.connected ? 'connected' : 'known'}${p.inRoutingTable ? ' dht' : ''} ${p.addresses[0] ?? ''}`.trimEnd())
      return { data: result, text }
    }))
}
