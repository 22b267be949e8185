import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { load, YAML11_SCHEMA } from 'js-yaml'
import { loadConfig } from '../../src/node/config.js'
import { decodePrivateKey } from '../../src/node/identity.js'

const root = new URL('../../../', import.meta.url)

/** The compose file, checked statically; `npm run compose-test` runs it for real (test/compose/testbed.ts). */
describe('node: docker-compose.yml', () => {
  let services: Record<string, any>

  before(async () => {
    // compose files are YAML 1.1 (merge keys)
    const doc = load(await readFile(new URL('docker-compose.yml', root), 'utf8'), { schema: YAML11_SCHEMA }) as any
    services = doc.services
  })

  it('is valid YAML with a bootstrap service and several nodes, each with a valid config', async () => {
    assert.ok(services.bootstrap != null)
    assert.ok(Object.keys(services).length >= 3)
    for (const [name, service] of Object.entries(services)) {
      const { warnings } = await loadConfig({ env: service.environment })
      assert.deepEqual(warnings, [], name)
      assert.ok(service.build != null || service.image != null, `${name} has an image`)
    }
  })

  it('points every node\'s bootstrap address at the bootstrap service\'s fixed peer ID and port', async () => {
    const bootstrap = services.bootstrap
    const key = decodePrivateKey(bootstrap.environment.PAIP_IDENTITY, 'compose')
    const peerId = peerIdFromPrivateKey(key).toString()
    const { config } = await loadConfig({ env: bootstrap.environment })
    const tcpPorts = config.network.listen.map(a => multiaddr(a)).filter(a => !a.toString().includes('/ws')).map(a => a.getComponents().find(c => c.name === 'tcp')?.value)
    for (const [name, service] of Object.entries(services)) {
      if (name === 'bootstrap') continue
      const { config: nodeConfig } = await loadConfig({ env: service.environment })
      assert.ok(nodeConfig.network.bootstrap.length > 0, `${name} has a bootstrap address`)
      for (const address of nodeConfig.network.bootstrap) {
        const parts = multiaddr(address).getComponents()
        assert.equal(parts.find(c => c.name.startsWith('dns'))?.value, 'bootstrap', `${name} dials the bootstrap service`)
        assert.ok(tcpPorts.includes(parts.find(c => c.name === 'tcp')?.value), `${name} uses a port the bootstrap node listens on`)
        assert.equal(parts.find(c => c.name === 'p2p')?.value, peerId, `${name} names the bootstrap node's peer ID`)
      }
      assert.ok((service.depends_on ?? []).includes('bootstrap'))
    }
  })

  it('publishes every API port without clashes, and binds the API inside containers on every interface', async () => {
    const published = new Set<string>()
    for (const [name, service] of Object.entries(services)) {
      const { config } = await loadConfig({ env: service.environment })
      assert.equal(config.api.host, '0.0.0.0', name)
      const apiPublished = (service.ports as string[]).some(p => p.endsWith(`:${config.api.port}`))
      assert.ok(apiPublished, `${name} publishes its API port`)
      for (const mapping of service.ports as string[]) {
        const parts = String(mapping).split(':')
        const hostPort = parts.length === 3 ? parts[1] : parts[0]
        assert.ok(!published.has(hostPort), `host port ${hostPort} of ${name} is used twice`)
        published.add(hostPort)
      }
    }
  })

  it('has a Dockerfile that runs `paip daemon` with its home in a volume', async () => {
    const dockerfile = await readFile(new URL('Dockerfile', root), 'utf8')
    assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/paip"\]/)
    assert.match(dockerfile, /CMD \["daemon"\]/)
    assert.match(dockerfile, /PAIP_HOME=\/data/)
    assert.match(dockerfile, /EXPOSE 9292 4001 4002/)
  })

  it('is run for real by `.ci/run`, which runs exactly the README\'s install and test commands', async () => {
    const readme = await readFile(new URL('README.md', root), 'utf8')
    const section = readme.slice(readme.indexOf('## Install and test'), readme.indexOf('\n## ', readme.indexOf('## Install and test') + 1))
    const block = section.slice(section.indexOf('```sh\n') + 6, section.indexOf('```', section.indexOf('```sh\n') + 6))
    const commands = block.split('\n').map(l => l.replace(/#.*/, '').trim()).filter(l => l !== '')
    const ci = (await readFile(new URL('.ci/run', root), 'utf8')).split('\n')
      .filter(l => l.startsWith('npm ')).map(l => l.trim())
    assert.deepEqual(ci, commands)
    assert.ok(commands.includes('npm run compose-test'))
    const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'))
    assert.match(pkg.scripts['compose-test'], /scripts\/compose-test\.sh/)
  })
})
