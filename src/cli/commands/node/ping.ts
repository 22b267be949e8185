import { InvalidArgumentError } from '../../../errors.js'
import { apiFromContext } from '../../api.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

export function registerPing (program: Command, action: Action): void {
  program
    .command('ping <peer>')
    .description('measure the round-trip time from the node to a peer (peer ID or multiaddr)')
    .option('-n, --count <n>', 'pings to send', '1')
    .addHelpText('after', '\nExample:\n  $ paip ping 12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD --count 3')
    .action(action(async (ctx, peer: string, options: { count: string }) => {
      const count = Number(options.count)
      if (!Number.isInteger(count) || count < 1 || count > 100) throw new InvalidArgumentError('--count must be an integer from 1 to 100')
      const api = await apiFromContext(ctx)
      const rtts: number[] = []
      for (let i = 0; i < count; i++) {
        const result = await api.post<{ rtt: number }>('/api/v1/ping', { peer }, { signal: ctx.signal })
        rtts.push(result.rtt)
      }
      return { data: { peer, rtts, rtt: Math.min(...rtts) }, text: rtts.map(rtt => `pong from ${peer}: ${rtt} ms`) }
    }))
}
