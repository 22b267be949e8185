import { InvalidArgumentError } from '../../errors.js'
import { DIAL_TIMEOUT } from '../../net/constants.js'
import { joinPeer, listPeers, parsePeerTarget, pingPeer } from '../../net/peers.js'
import { requireToken } from '../auth.js'
import { ForbiddenError, UnauthorizedError } from '../errors.js'
import { GC_GRACE } from '../../storage/constants.js'
import type { Host } from '../../net/host.js'
import type { SweepOptions, SweepResult } from '../../storage/sweep.js'
import type { ApiRoute } from '../route.js'

const pingBody = {
  type: 'object',
  required: ['peer'],
  additionalProperties: false,
  properties: {
    peer: { type: 'string', minLength: 1, maxLength: 2048 },
    timeout: { type: 'integer', minimum: 1, maximum: 120_000 }
  }
} as const

const gcBody = {
  type: 'object',
  additionalProperties: false,
  properties: { dryRun: { type: 'boolean' } }
} as const

const joinBody = {
  type: 'object',
  required: ['node-id', 'node-address'],
  properties: {
    'node-id': { type: 'string', minLength: 1, maxLength: 256 },
    'node-address': { type: 'string', minLength: 1, maxLength: 2048 }
  }
} as const

/** The node itself: identity, peers, ping, and seed 002's `/join`. */
/** What the node's own routes use. */
export interface NodeRouteComponents {
  host: Host
  version: string
  /** The blob store's sweep over every component's references (`paip gc`). */
  sweepBlobs: (options?: SweepOptions) => Promise<SweepResult>
  /** Aborted when the node stops. */
  shutdownSignal: AbortSignal
}

export const nodeRoutes: ApiRoute<NodeRouteComponents> = (app, { components, access }) => {
  const { host } = components

  app.get('/api/v1/id', { onRequest: access.readAccess }, async () => ({
    peerId: host.peerId.toString(),
    addresses: host.getMultiaddrs().map(a => a.toString()),
    protocols: host.getProtocols(),
    version: components.version
  }))

  app.get('/api/v1/peers', { onRequest: access.readAccess }, async () => ({
    peers: await listPeers(host),
    routingTable: host.services.dht.routingTable.size
  }))

  // it dials any address it is given (DNS names too): never for an anonymous caller
  app.post('/api/v1/ping', { onRequest: requireToken(access, 'making this node dial a peer'), schema: { body: pingBody } }, async request => {
    const body = request.body as { peer: string, timeout?: number }
    const target = parsePeerTarget(body.peer)
    const signal = AbortSignal.any([AbortSignal.timeout(body.timeout ?? DIAL_TIMEOUT), components.shutdownSignal])
    const rtt = await pingPeer(host, target, { signal })
    return { peer: body.peer, rtt }
  })

  // the node's admin sweeps the blob store (files written in the last GC_GRACE ms are left: writes in progress)
  app.post('/api/v1/gc', { onRequest: access.requireAdmin, schema: { body: gcBody } }, async request => {
    const { dryRun } = (request.body ?? {}) as { dryRun?: boolean }
    const signal = AbortSignal.any([AbortSignal.timeout(10 * 60_000), components.shutdownSignal])
    return { ...await components.sweepBlobs({ grace: GC_GRACE, dryRun: dryRun === true, signal }), dryRun: dryRun === true }
  })

  // it dials (and for a URL, fetches) what it is given: the node's admin only, and it says so
  const joinAdmin: typeof access.requireAdmin = async (request, reply) => {
    try {
      await access.requireAdmin(request, reply)
    } catch (err: any) {
      if (err?.kind === 'unauthorized') throw new UnauthorizedError('only the node\'s admin may make it join a peer: pass `Authorization: Bearer <token>` with the admin token (the node home\'s `token` file)')
      if (err?.kind === 'forbidden') throw new ForbiddenError('only the node\'s admin may make it join a peer (this token is not the admin\'s)')
      throw err
    }
  }

  app.post('/join', { onRequest: joinAdmin, schema: { body: joinBody } }, async request => {
    const body = request.body as Record<string, unknown>
    if (body == null || typeof body !== 'object') throw new InvalidArgumentError('expected {"node-id", "node-address"}')
    const signal = AbortSignal.any([AbortSignal.timeout(DIAL_TIMEOUT), components.shutdownSignal])
    const { peerId, address } = await joinPeer(host, { nodeId: String(body['node-id']), nodeAddress: String(body['node-address']) }, { signal })
    return { joined: true, 'node-id': peerId.toString(), 'node-address': address.toString(), 'routing-table': host.services.dht.routingTable.size }
  })
}
