import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { load } from 'js-yaml'
import { configTemplate, defaultConfig, loadConfig, SETTINGS } from '../../src/node/config.js'
import { paip } from '../fixtures/cli.js'

describe('node: config', () => {
  let home: string

  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'paip-config-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('has embedded defaults: API on 127.0.0.1:9292, TCP 4001 and WebSockets 4002', async () => {
    const { config, warnings } = await loadConfig({ home })
    assert.deepEqual(config, defaultConfig())
    assert.equal(config.api.host, '127.0.0.1')
    assert.equal(config.api.port, 9292)
    assert.deepEqual(config.network.listen, ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'])
    assert.deepEqual(warnings, [])
  })

  it('takes the file, then PAIP_* env, then flags, and says where each value came from', async () => {
    await writeFile(join(home, 'config.yaml'), 'api:\n  port: 1000\n  host: 0.0.0.0\nnetwork:\n  bootstrap:\n    - /ip4/10.0.0.1/tcp/4001/p2p/x\nprivate: true\n')
    const { config, sources } = await loadConfig({
      home,
      env: { PAIP_API_PORT: '2000', PAIP_LISTEN: '/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/tcp/0/ws', PAIP_PRIVATE: 'false' },
      flags: { 'api.port': '3000' }
    })
    assert.equal(config.api.port, 3000)
    assert.equal(sources['api.port'], '--api-port')
    assert.equal(config.api.host, '0.0.0.0')
    assert.equal(sources['api.host'], join(home, 'config.yaml'))
    assert.deepEqual(config.network.listen, ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'])
    assert.equal(sources['network.listen'], 'PAIP_LISTEN')
    assert.deepEqual(config.network.bootstrap, ['/ip4/10.0.0.1/tcp/4001/p2p/x'])
    assert.equal(config.private, false)
  })

  it('rejects malformed YAML naming the file and the line', async () => {
    const file = join(home, 'config.yaml')
    await writeFile(file, 'api:\n  port: 9292\nnetwork: [\n  listen: :\n')
    await assert.rejects(loadConfig({ home }), (err: any) => {
      assert.equal(err.name, 'ConfigSyntaxError')
      assert.equal(err.kind, 'invalid-input')
      assert.equal(err.file, file)
      assert.equal(typeof err.line, 'number')
      assert.match(err.message, new RegExp(`${file.replace(/[/.]/g, '\\$&')}:${err.line}: malformed YAML`))
      return true
    })
  })

  it('warns about unknown keys by path and ignores them', async () => {
    await writeFile(join(home, 'config.yaml'), 'api:\n  port: 1234\n  colour: blue\nfrobnicate: 3\n')
    const { config, warnings } = await loadConfig({ home })
    assert.equal(config.api.port, 1234)
    assert.equal(warnings.length, 2)
    assert.match(warnings[0], /api\.colour/)
    assert.match(warnings[1], /frobnicate/)
  })

  it('reports every bad value by path and source in one error', async () => {
    await writeFile(join(home, 'config.yaml'), 'api:\n  port: "ninety"\nnetwork:\n  addressFilter: everywhere\n')
    await assert.rejects(loadConfig({ home, env: { PAIP_PRIVATE: 'maybe' } }), (err: any) => {
      assert.equal(err.name, 'ConfigInvalidError')
      assert.deepEqual(err.problems.map((p: any) => p.path).sort(), ['api.port', 'network.addressFilter', 'private'])
      assert.equal(err.problems.find((p: any) => p.path === 'private').source, 'PAIP_PRIVATE')
      return true
    })
    await assert.rejects(loadConfig({ home: undefined, env: { PAIP_API_PORT: '70000' } }), /api\.port \(PAIP_API_PORT\): must be at most 65535/)
  })

  it('writes a template that documents every key and parses to nothing but comments', () => {
    const template = configTemplate()
    for (const setting of SETTINGS) {
      assert.ok(template.includes(setting.env), `${setting.path} is documented with its env name`)
    }
    const parsed = load(template) as Record<string, unknown>
    for (const value of Object.values(parsed)) assert.equal(value, null)
  })

  it('`paip config show` prints the effective config without a running node', async () => {
    await writeFile(join(home, 'config.yaml'), 'api:\n  port: 1234\n')
    const run = await paip(['--json', '--home', home, 'config', 'show'], { env: { PAIP_LISTEN: '/ip4/127.0.0.1/tcp/5' } })
    assert.equal(run.code, 0, run.stderr)
    const shown = run.json()
    assert.equal(shown.config.api.port, 1234)
    assert.deepEqual(shown.config.network.listen, ['/ip4/127.0.0.1/tcp/5'])
    assert.equal(shown.sources['network.listen'], 'PAIP_LISTEN')
  })

  it('`paip config show` hides a configured identity key', async () => {
    const run = await paip(['--json', '--home', home, 'config', 'show'], { env: { PAIP_IDENTITY: 'c2VjcmV0' } })
    assert.equal(run.json().config.identity.privateKey, '(set)')
    assert.doesNotMatch(run.stdout, /c2VjcmV0/)
  })
})
