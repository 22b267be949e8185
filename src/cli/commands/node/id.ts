import { apiFromContext } from '../../api.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

export interface NodeId {
  peerId: string
  addresses: string[]
  protocols: string[]
  version: string
}

export function registerId (program: Command, action: Action): void {
  program
    .command('id')
    .description('show the node\'s peer ID and addresses (or make a new identity with --generate)')
    .option('--generate', 'print a new ed25519 identity for identity.privateKey / PAIP_IDENTITY (no node needed)')
    .addHelpText('after', '\nExamples:\n  $ paip id\n  $ paip id --generate --json')
    .action(action(async (ctx, options: { generate?: boolean }) => {
      if (options.generate === true) {
        const { generateIdentity } = await import('../../../node/identity.js')
        const identity = await generateIdentity()
        return {
          data: identity,
          text: [`peer ID:     ${identity.peerId}`, `private key: ${identity.privateKey}`, 'use it with PAIP_IDENTITY=<private key> or identity.privateKey in config.yaml; keep it secret']
        }
      }
      const api = await apiFromContext(ctx)
      const id = await api.get<NodeId>('/api/v1/id', { signal: ctx.signal })
      return { data: id, text: [id.peerId, ...id.addresses.map(a => `  ${a}`)] }
    }))
}
