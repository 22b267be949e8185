import type { ProtocolSource } from './types.js'
import type { AbortOptions } from '@libp2p/interface'

/** What `marketplaceProtocols` needs of the marketplace (its `pull`). */
export interface ProtocolPuller {
  pull: (ref: string, options?: AbortOptions) => Promise<{ selected: { contentBytes: Uint8Array } }>
}

/** `paip run <ref>`: loads the latest version of a published protocol through the marketplace. */
export function marketplaceProtocols (marketplace: ProtocolPuller): ProtocolSource {
  return {
    async load (ref, options) {
      const pulled = await marketplace.pull(ref, options)
      return new TextDecoder('utf-8', { fatal: true }).decode(pulled.selected.contentBytes)
    }
  }
}
