import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createAuthenticator } from '../../src/api/auth.js'
import { isLoopback } from '../../src/api/metrics.js'
import { createApiServer } from '../../src/api/server.js'
import { paipLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics/index.js'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { MetricsAccess } from '../../src/metrics/index.js'
import type { NodeComponents } from '../../src/node/components.js'
import type { TestNode } from '../fixtures/daemon.js'

interface Sample { name: string, labels: Record<string, string>, value: number }

/** Prometheus's text format, parsed into samples (comments skipped). */
function parse (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(match != null, `not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the samples named `name` whose labels include `labels`. */
function value (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0)
}

async function scrape (node: TestNode): Promise<{ text: string, samples: Sample[] }> {
  const response = await fetch(node.url + '/metrics')
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  return { text, samples: parse(text) }
}

describe('metrics: GET /metrics in Prometheus format on every node', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []

  before(async () => {
    nodes.push(await startNode())
    nodes.push(await startNode({ config: { network: { bootstrap: nodes[0].node.components.host.getMultiaddrs().map(String) } } }))
    await until(() => nodes.every(n => n.node.components.host.services.dht.routingTable.size > 0), 20_000, 'the grid to form')
  })
  after(async () => { await Promise.allSettled(nodes.map(async n => await n.stop())) })

  it('serves libp2p\'s own figures and the process\'s next to paip\'s', async () => {
    const { samples } = await scrape(nodes[0])
    assert.ok(value(samples, 'libp2p_kad_dht_routing_table_size') >= 1, 'the DHT routing table size')
    assert.ok(samples.some(s => s.name === 'libp2p_connection_manager_connections'))
    assert.ok(value(samples, 'process_resident_memory_bytes') > 0)
    for (const name of ['paip_publish_seconds', 'paip_search_seconds', 'paip_fetch_seconds', 'paip_job_dispatch_seconds', 'paip_http_request_seconds']) {
      assert.ok((await scrape(nodes[0])).text.includes(`# TYPE ${name} histogram`), name)
    }
  })

  it('counts a publish on the publishing node and a search on the searching node, and the API requests by route and status', async () => {
    const [a, b] = nodes
    const before = { a: (await scrape(a)).samples, b: (await scrape(b)).samples }
    await a.client.put('/repo/protocol/metered.yaml', protocolYaml('metered', 'Counted by the metrics'), { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    // streamed, as the portal searches: the first hit is timed too
    await until(async () => (await (await fetch(`${b.url}/repo/search/metered`, { headers: { accept: 'application/x-ndjson' } })).text()).includes('"metered"'), 20_000, 'the search to find it')
    const after = { a: (await scrape(a)).samples, b: (await scrape(b)).samples }

    assert.equal(value(after.a, 'paip_publish_seconds_count', { outcome: 'ok' }) - value(before.a, 'paip_publish_seconds_count', { outcome: 'ok' }), 1)
    assert.ok(value(after.a, 'paip_publish_seconds_sum') > value(before.a, 'paip_publish_seconds_sum'))
    assert.ok(value(after.b, 'paip_search_seconds_count', { kind: 'protocol', outcome: 'ok' }) > value(before.b, 'paip_search_seconds_count', { kind: 'protocol' }))
    assert.ok(value(after.b, 'paip_search_first_result_seconds_count', { kind: 'protocol' }) >= 1)
    const route = { method: 'PUT', route: '/repo/protocol/*', status: '201' }
    assert.equal(value(after.a, 'paip_http_requests_total', route) - value(before.a, 'paip_http_requests_total', route), 1)
    // a request is counted once its answer is sent, which the client may see first
    await until(async () => value((await scrape(b)).samples, 'paip_http_requests_total', { method: 'GET', route: '/repo/search/:keywords', status: '200' }) >= 1, 10_000, 'the search requests counted')
    assert.equal(value(after.a, 'paip_http_request_seconds_count', route), value(after.a, 'paip_http_requests_total', route))
  })

  it('names routes by their pattern: hostile URLs, methods and queries add no series', async () => {
    const [a] = nodes
    const names = (samples: Sample[]): Set<string> => new Set(samples.filter(s => s.name.startsWith('paip_http')).map(s => `${s.name}${JSON.stringify(s.labels)}`))
    // one of each first, so the series they land in exist
    const hostile = (): string => randomBytes(12).toString('hex')
    const requests = async (): Promise<void> => {
      const x = hostile()
      await fetch(`${a.url}/no/such/${x}?${x}=1`)
      await fetch(`${a.url}/repo/search/${x}%22%7D%0Aevil_metric%201`)
      await fetch(`${a.url}/api/v1/jobs/${x}`)
      await fetch(`${a.url}/items/${x}`)
      await fetch(`${a.url}/api/v1/datasets/${x}`, { method: 'PROPFIND' }).catch(() => {})
      await fetch(`${a.url}/${'%2e%2e/'.repeat(5)}${x}`)
    }
    await requests()
    const first = await scrape(a)
    const seen = names(first.samples)
    const marks: string[] = []
    for (let i = 0; i < 20; i++) {
      marks.push(hostile())
      await requests()
    }
    await until(async () => value((await scrape(a)).samples, 'paip_http_requests_total', { route: 'unmatched', status: '404' }) >= 21, 10_000, 'the requests counted')
    const { text, samples } = await scrape(a)
    assert.deepEqual([...names(samples)].filter(n => !seen.has(n) && !n.includes('"/metrics"')), [], 'new series')
    assert.ok(!text.includes('evil_metric'))
  })

  it('holds no per-user data: no user name, token or peer ID appears in it', async () => {
    const [a, b] = nodes
    await a.client.put('/repo/user/marguerite', { password: 'marguerite password' })
    const { token } = await a.anonymous.post<any>('/repo/auth/marguerite', { password: 'marguerite password' })
    await fetch(`${a.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${token}` } })
    await fetch(`${a.url}/repo/user/marguerite`)
    const { text } = await scrape(a)
    for (const secret of ['marguerite', token, b.node.components.peerId.toString(), a.node.components.peerId.toString()]) {
      assert.ok(!text.includes(secret), `the metrics hold ${secret}`)
    }
  })

  describe('who may read it (api.metrics)', () => {
    const ADMIN = 'admin-token-for-metrics-0123456789'
    async function server (access: MetricsAccess): Promise<{ url: string, close: () => Promise<void> }> {
      const authenticator = createAuthenticator({ adminToken: ADMIN })
      authenticator.addVerifier(token => token === 'user-token' ? { kind: 'user', name: 'ursula', roles: ['publish', 'read'] } : undefined)
      const components = { authenticator, logger: paipLogger() } as unknown as NodeComponents
      const app = await createApiServer(components, { routes: [], metrics: { metrics: createMetrics({ processMetrics: false }), access } })
      await app.listen({ host: '127.0.0.1', port: 0 })
      return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}/metrics`, close: async () => { await app.close() } }
    }
    const status = async (url: string, token?: string): Promise<number> => (await fetch(url, { headers: token == null ? {} : { authorization: `Bearer ${token}` } })).status

    it('local (the default): anyone on this machine, with no token', async () => {
      const s = await server('local')
      try {
        assert.equal(await status(s.url), 200)
        assert.equal(await status(s.url, 'not a token'), 401, 'a bad token is refused, never ignored')
      } finally { await s.close() }
    })

    it('admin: the admin token only, never a user\'s, whatever address it comes from', async () => {
      const s = await server('admin')
      try {
        assert.equal(await status(s.url), 401)
        assert.equal((await fetch(s.url, { headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' } })).status, 401)
        assert.equal(await status(s.url, 'user-token'), 403)
        assert.equal(await status(s.url, ADMIN), 200)
      } finally { await s.close() }
    })

    it('public: anyone; off: no /metrics at all', async () => {
      const open = await server('public')
      const off = await server('off')
      try {
        assert.equal(await status(open.url), 200)
        assert.equal(await status(off.url), 404)
        assert.equal(await status(off.url, ADMIN), 404)
      } finally { await Promise.all([open.close(), off.close()]) }
    })

    it('takes only loopback connections as local', () => {
      for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address)
      for (const address of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', '127.0.0.1.example.org', '::2', 'fe80::1']) assert.equal(isLoopback(address), false, String(address))
    })
  })
})
