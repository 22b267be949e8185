import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The addresses a peer listens on, as it announced them in identify (the signed peer record,
 * kept in the peer store), best first for this node to dial; never the remote side of an
 * inbound connection, whose port is the peer's ephemeral one.
 *
 * Order: the addresses on the host this node reaches the peer at (the IP of a connection to
 * it), then those of the same scope as that connection (loopback for loopback, else the
 * non-loopback ones), then the rest. Without any connection, non-loopback addresses first.
 * Each address ends in `/p2p/<peer id>`.
 */
export async function listenAddressesOf (host: Pick<Libp2p, 'peerStore' | 'getConnections'>, peer: PeerId): Promise<Multiaddr[]> {
  let stored: Array<{ multiaddr: Multiaddr, isCertified: boolean }> = []
  try {
    stored = (await host.peerStore.get(peer)).addresses
  } catch {}
  const certified = stored.filter(a => a.isCertified)
  const listen = (certified.length > 0 ? certified : stored).map(a => a.multiaddr)
  // an address this node dialled and connected over is one the peer listens on too
  for (const connection of host.getConnections(peer)) {
    if (connection.direction === 'outbound') listen.push(connection.remoteAddr)
  }
  const reachedAt = host.getConnections(peer).map(c => hostOf(c.remoteAddr)).filter((h): h is string => h != null)
  const loopbackOnly = reachedAt.length > 0 && reachedAt.every(isLoopback)
  const rank = (address: Multiaddr): number => {
    const ip = hostOf(address)
    if (ip != null && reachedAt.includes(ip)) return 0
    const loopback = ip != null && isLoopback(ip)
    return loopback === loopbackOnly ? 1 : 2
  }
  const byText = new Map<string, Multiaddr>()
  for (const address of listen) {
    const full = withPeerId(address, peer)
    byText.set(full.toString(), full)
  }
  // a stable sort keeps the peer's own order within one rank
  return [...byText.values()].sort((a, b) => rank(a) - rank(b))
}

/** The peer ID an address names: its last `/p2p/<peer id>` (the target of a relayed one), if any. */
export function namedPeer (address: Multiaddr): string | undefined {
  return address.getComponents().filter(c => c.name === 'p2p').at(-1)?.value
}

/** The address, ending in `/p2p/<peer id>` (added if missing). */
export function withPeerId (address: Multiaddr | string, peer: PeerId | string): Multiaddr {
  const ma = typeof address === 'string' ? multiaddr(address) : address
  const id = peer.toString()
  const named = namedPeer(ma)
  if (named === id) return ma
  return ma.encapsulate(`/p2p/${id}`)
}

/** The IP (or DNS name) of an address, if it has one. */
function hostOf (address: Multiaddr): string | undefined {
  return address.getComponents().find(c => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name))?.value
}

/** A host or socket address on this machine's loopback: 127.0.0.0/8, ::1, IPv4-mapped 127.x, or `localhost`. */
export function isLoopback (host: string | undefined): boolean {
  if (host == null) return false
  return host === '::1' || host === 'localhost' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(host)
}
