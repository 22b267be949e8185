import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { cleanupNetns, createNetnsNetwork, startTestbed } from '../../src/testbed/index.js'
import { CHECKOUT, runCommand } from '../fixtures/bin.js'
import { until } from '../fixtures/wait.js'
import type { Testbed } from '../../src/testbed/index.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'

const exec = promisify(execFile)
const TESTBED_BIN = `${CHECKOUT}bin/testbed`

const PROTOCOL = publishedProtocol({ name: 'netnszebra', description: 'netnszebra: published in one namespace, found from another', commands: ['echo zebra'] })

async function namespaces (instance?: number): Promise<string[]> {
  const { stdout } = await exec('ip', ['netns', 'list'])
  const prefix = instance == null ? 'paip-ns' : `paip-ns${instance}-`
  return stdout.split('\n').map(l => l.split(' ')[0]).filter(n => n.startsWith(prefix))
}

async function hostLinks (instance: number): Promise<string[]> {
  const { stdout } = await exec('ip', ['-o', 'link', 'show'])
  return stdout.split('\n').filter(l => l.includes(` pns${instance}-host`))
}

/** Network namespaces need root and iproute2: elsewhere these tests are skipped. */
async function netnsAvailable (): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false
  try {
    await exec('ip', ['netns', 'list'])
    return true
  } catch {
    return false
  }
}

describe('testbed --netns: daemons in network namespaces with a delayed, lossy link', function () {
  this.timeout(180_000)
  let testbed: Testbed | undefined

  before(async function () {
    if (!await netnsAvailable()) this.skip()
  })
  after(async () => { await testbed?.stop() })

  it('starts four daemons, each listening on its own namespace address, with ~20 ms between them', async () => {
    testbed = await startTestbed({ nodes: 4, netns: {} })
    const network = testbed.network!
    assert.equal((await namespaces(network.instance)).length, 5, 'a hub and four node namespaces')
    for (const [i, node] of testbed.nodes.entries()) {
      const address = network.nodes[i].address
      assert.ok(node.url.startsWith(`http://${address}:`), `node${i}'s API is on ${address}`)
      assert.ok(node.addresses.every(a => a.startsWith(`/ip4/${address}/`)), `node${i} listens on ${address} only: ${node.addresses.join(' ')}`)
    }
    await until(async () => (await testbed!.nodes[3].client.get<any>('/health-check'))['routing-table'] >= 3, 60_000, 'node3 to know the other three')
    const rtts: number[] = []
    for (let i = 0; i < 5; i++) {
      const { rtt } = await testbed.nodes[3].client.post<{ rtt: number }>('/api/v1/ping', { peer: testbed.nodes[1].peerId })
      rtts.push(rtt)
    }
    // a ping is one round trip: never faster than the two delays (a lost packet makes one slower)
    assert.ok(rtts.every(rtt => rtt >= 19), `every ping takes at least 20 ms: ${rtts.join(', ')}`)
  })

  it('finds from one namespace a protocol published in another', async () => {
    const [, publisher, , searcher] = testbed!.nodes
    await publisher.client.request('/repo/protocol/netnszebra.yaml', { method: 'PUT', body: PROTOCOL, raw: true, headers: { 'content-type': 'text/yaml' } })
    await until(async () => {
      const { results } = await searcher.client.get<{ results: Array<{ name: string, publisher: string }> }>('/repo/search/netnszebra')
      return results.some(r => r.name === 'netnszebra' && r.publisher === publisher.peerId)
    }, 60_000, 'node3 to find the protocol node1 published')
  })

  it('leaves no namespace, bridge, veth or daemon behind when stopped', async () => {
    const { network, nodes } = testbed!
    const pids = nodes.map(n => n.process?.pid).filter((p): p is number => p != null)
    await testbed!.stop()
    testbed = undefined
    assert.deepEqual(await namespaces(network!.instance), [])
    assert.deepEqual(await hostLinks(network!.instance), [])
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `daemon ${pid} is gone`)
  })

  it('removes what a testbed killed with SIGKILL left behind, through `testbed --netns --cleanup`', async () => {
    // a process that builds a network and dies without a chance to tear it down
    const script = `const { createNetnsNetwork } = await import(${JSON.stringify(`${CHECKOUT}dist/src/testbed/netns.js`)});
      const n = await createNetnsNetwork({ nodes: 2 }); console.log(n.instance); setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const instance = Number(await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', code => { reject(new Error(`the child exited with ${code}`)) })
    }))
    assert.equal((await namespaces(instance)).length, 3)
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
    assert.equal((await namespaces(instance)).length, 3, 'a killed testbed leaves its namespaces')

    const run = await runCommand(process.execPath, [TESTBED_BIN, '--netns', '--cleanup'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`removed testbed network\\(s\\) .*\\b${instance}\\b`))
    assert.deepEqual(await namespaces(instance), [])
    assert.deepEqual(await hostLinks(instance), [])
    const again = await runCommand(process.execPath, [TESTBED_BIN, '--netns', '--cleanup'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal((await cleanupNetns()).includes(instance), false, 'cleaning up twice is harmless')
  })

  it('`npm run testbed -- --netns` starts the nodes, and Ctrl-C removes every namespace', async () => {
    const child = spawn(process.execPath, [TESTBED_BIN, '--netns', '--nodes', '2'], { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.on('data', chunk => { err += String(chunk) })
    const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', chunk => {
          out += String(chunk)
          if (out.includes('Ctrl-C stops every node')) resolve()
        })
        void exited.then(code => { reject(new Error(`testbed exited with ${code}: ${err}${out}`)) })
      })
      const instance = Number(/paip-ns(\d+)-n0/.exec(out)?.[1])
      assert.match(out, /node1 {2}http:\/\/10\.77\.\d+\.3:9292 {2}12D3KooW/)
      assert.equal((await namespaces(instance)).length, 3)
      child.kill('SIGINT')
      assert.equal(await exited, 0, err)
      assert.match(out, /all nodes stopped/)
      assert.deepEqual(await namespaces(instance), [])
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('refuses bad options with a clear message', async () => {
    for (const [args, message] of [
      [['--netns', '--delay', 'soon'], /--delay must be a number of milliseconds/],
      [['--netns', '--loss', '150'], /--loss must be a percentage from 0 to 100/],
      [['--cleanup'], /go with --netns/]
    ] as const) {
      const run = await runCommand(process.execPath, [TESTBED_BIN, ...args])
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
      assert.match(run.stderr, message)
    }
  })

  it('createNetnsNetwork refuses a node count it cannot address', async () => {
    await assert.rejects(createNetnsNetwork({ nodes: 0 }), RangeError)
    await assert.rejects(createNetnsNetwork({ nodes: 1000 }), RangeError)
  })
})
