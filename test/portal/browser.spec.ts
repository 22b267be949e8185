import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/client/index.js'
import { protocolYaml as jobProtocol } from '../jobs/fixtures.js'
import { launchBrowser, newPage } from '../fixtures/browser.js'
import { startNode } from '../fixtures/daemon.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Browser } from 'playwright-core'

/** Screenshots of the main pages, kept for the docs when PAIP_SCREENSHOTS names a directory. */
const SHOTS = process.env.PAIP_SCREENSHOTS

async function shot (page: import('playwright-core').Page, name: string): Promise<void> {
  if (SHOTS == null) return
  await mkdir(SHOTS, { recursive: true })
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false })
}

/** Logs in through the login page (already open) and waits until the header names the user. */
async function logIn (page: import('playwright-core').Page, user: string, password: string): Promise<void> {
  await page.getByLabel('User').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('.who strong', { hasText: user }).waitFor()
}

describe('portal: the web pages in a real Chromium on a 3-node loopback grid', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []
  let browser: Browser
  const errors: string[] = []

  before(async () => {
    nodes.push(await startNode())
    const bootstrap = nodes[0].node.components.host.getMultiaddrs().map(String)
    nodes.push(await startNode({ config: { network: { bootstrap } } }))
    nodes.push(await startNode({ config: { network: { bootstrap } } }))
    // every node knows both others: a search from one then reaches what another published
    await until(() => nodes.every(n => n.node.components.host.services.dht.routingTable.size >= 2), 30_000, 'the grid to form')
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await Promise.allSettled(nodes.map(async n => await n.stop()))
  })
  afterEach(function () {
    if (this.currentTest?.state === 'passed') assert.deepEqual(errors, [], 'the page logged errors')
    errors.length = 0
  })

  it('serves the portal at / with a strict content security policy, and the whole script gzipped', async () => {
    const response = await fetch(nodes[0].url + '/', { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/html/)
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    assert.match(await response.text(), /<paip-marketplace>/)
    const script = await fetch(nodes[0].url + '/plugin.js')
    assert.match(script.headers.get('content-type') ?? '', /javascript/)
    assert.match(await script.text(), /paip-marketplace/)
  })

  it('finds a protocol published on one node from the browser of another as results stream in, opens it and diffs two versions', async () => {
    const [a, , c] = nodes
    const put = async (yaml: Uint8Array): Promise<any> => await a.client.put('/repo/protocol/cifar-resnet.yaml', yaml, { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    await put(protocolYaml('cifar-resnet', 'Residual network on **CIFAR** images'))
    const published = await put(protocolYaml('cifar-resnet', 'Residual network on **CIFAR** images', '--epochs 30'))
    assert.equal(published.versions, 2)

    const page = await newPage(browser, errors)
    await page.goto(c.url + '/')
    await page.getByRole('searchbox').fill('resnet cifar')
    const result = page.locator('.results .card', { hasText: 'cifar-resnet' })
    await result.waitFor()
    assert.match(await result.textContent() ?? '', /by admin/)
    await shot(page, 'search')

    await result.getByRole('link', { name: 'cifar-resnet' }).click()
    await page.getByRole('heading', { name: 'cifar-resnet', level: 1 }).waitFor()
    // the description rendered from markdown, the YAML highlighted, the copyable lines
    assert.equal(await page.locator('.description strong').first().textContent(), 'CIFAR')
    assert.ok(await page.locator('pre.yaml .y-key', { hasText: 'protocolVersion' }).count() > 0)
    assert.equal(await page.locator('.copy code').first().textContent(), `paip pull ${published.publisher}/cifar-resnet`)
    await page.locator('.diff').waitFor()
    const added = await page.locator('.diff .d-add').allTextContents()
    const removed = await page.locator('.diff .d-del').allTextContents()
    assert.ok(added.some(l => l.includes('--epochs 30')), `added lines: ${added.join('|')}`)
    assert.ok(removed.some(l => l.includes('python cifar-resnet.py')), `removed lines: ${removed.join('|')}`)
    await shot(page, 'protocol')

    // the same version on both sides: nothing changed
    await page.locator('select[name="from"]').selectOption({ index: 0 })
    await page.getByText('These versions have the same content.').waitFor()
    await page.context().close()
  })

  it('publishes in the browser on one node with live validation, and another node\'s browser finds it', async () => {
    const [a, b] = nodes
    await a.client.put('/repo/user/alice', { password: 'alice password' })
    const page = await newPage(browser, errors)
    await page.goto(a.url + '/#/login')
    await logIn(page, 'alice', 'alice password')
    await page.getByRole('link', { name: 'Publish' }).click()
    const editor = page.locator('textarea[name="protocol"]')
    // a broken protocol: the problem is shown at its line and publishing is off
    await editor.fill('protocolVersion: 2\nname: fashion-mnist\ntype: job\ntaskRoles:\n  train:\n    instances: many\n')
    await page.locator('.y-problem').first().waitFor()
    assert.ok(await page.getByRole('button', { name: 'Publish' }).isDisabled())
    await shot(page, 'publish')
    await editor.fill(new TextDecoder().decode(protocolYaml('fashion-mnist', 'Zalando **clothes** images')))
    await page.locator('.validation .ok').waitFor()
    assert.equal(await page.locator('input[name="file"]').inputValue(), 'fashion-mnist.yaml')
    await page.getByRole('button', { name: 'Publish' }).click()
    await page.getByRole('heading', { name: 'fashion-mnist', level: 1 }).waitFor()
    assert.match(await page.locator('.protocol .meta').textContent() ?? '', /by alice/)
    await page.context().close()

    const other = await newPage(browser, errors)
    await other.goto(b.url + '/')
    await other.getByRole('searchbox').fill('zalando clothes')
    await other.locator('.results .card', { hasText: 'fashion-mnist' }).getByRole('link').click()
    await other.getByRole('heading', { name: 'fashion-mnist', level: 1 }).waitFor()
    await other.context().close()
  })

  it('follows a job\'s log live, and cancels it', async () => {
    const [a] = nodes
    await a.client.put('/api/v1/users/alice/roles/run')
    const { token } = await a.anonymous.post<any>('/repo/auth/alice', { password: 'alice password' })
    const alice = createApiClient({ url: a.url, token })
    const page = await newPage(browser, errors)
    await page.goto(a.url + '/#/login')
    await logIn(page, 'alice', 'alice password')
    // a job that prints a line, then another a few seconds later, then waits
    await alice.post('/api/v1/jobs', { id: 'follow-me', protocol: jobProtocol(['echo first line', 'sleep 4', 'echo second line', 'sleep 60']) })
    await page.goto(a.url + '/#/jobs')
    await page.getByRole('link', { name: 'follow-me' }).click()
    await page.locator('.log', { hasText: 'first line' }).waitFor()
    // the same page, no reload: the second line arrives while the job still runs
    await page.locator('.log', { hasText: 'second line' }).waitFor()
    assert.equal((await alice.get<any>('/api/v1/jobs/follow-me')).job.state, 'running')
    await shot(page, 'job')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.locator('.job .meta', { hasText: 'cancelled' }).waitFor()
    // logging out revokes the token the page held
    const held = await page.evaluate(() => localStorage.getItem('paip.token'))
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('link', { name: 'Log in' }).waitFor()
    await until(async () => (await fetch(a.url + '/api/v1/jobs', { headers: { authorization: `Bearer ${held}` } })).status === 401, 10_000, 'the token to be revoked')
    await page.context().close()
  })

  it('finds a dataset on the grid by its tags, shows which node holds it, fetches it, and shows its files', async () => {
    const [a, , c] = nodes
    const dir = await mkdtemp(join(tmpdir(), 'paip-portal-data-'))
    try {
      await mkdir(join(dir, 'digits', 'train'), { recursive: true })
      await writeFile(join(dir, 'digits', 'train', 'x.csv'), '1,2,3\n')
      await writeFile(join(dir, 'digits', 'README.md'), 'digits\n')
      await c.client.post('/api/v1/datasets', { path: join(dir, 'digits'), metadata: { name: 'digits', tags: ['#handwritten'], description: 'Small digits', public: true } })
      const page = await newPage(browser, errors)
      await page.goto(a.url + '/#/login')
      await logIn(page, 'alice', 'alice password')
      await page.goto(a.url + '/#/datasets')
      await page.getByRole('searchbox').fill('#handwritten')
      await page.getByRole('button', { name: 'Search the grid' }).click()
      const row = page.locator('.grid-results tr', { hasText: 'digits' })
      await row.waitFor()
      assert.equal(await row.locator('.grid-nodes code').first().getAttribute('title'), c.node.components.peerId.toString())
      await shot(page, 'datasets')
      await row.getByRole('button', { name: 'Fetch' }).click()
      await row.getByText('on this node').waitFor()
      assert.equal((await a.anonymous.get<any>('/api/v1/datasets/digits')).files, 2)
      await page.goto(a.url + '/#/datasets/digits?kind=dataset')
      await page.getByRole('heading', { name: 'digits', level: 1 }).waitFor()
      assert.deepEqual((await page.locator('.dataset tbody td:first-child').allTextContents()).sort(), ['README.md', 'train/x.csv'])
      await page.context().close()
    } finally { await rm(dir, { recursive: true, force: true }) }
  })

  it('shows a hostile publisher\'s description and YAML as text: no markup, no script, no javascript: link', async () => {
    const [a, b] = nodes
    const evil = publishedProtocol({
      name: 'evil-markup',
      description: '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>\n[click me](javascript:window.pwned=3) and [fine](https://example.org)\n',
      image: '<svg onload=window.pwned=4>',
      role: 'train',
      memoryMB: 1024,
      commands: ["echo '<b>bold</b>'"]
    })
    const published: any = await a.client.put('/repo/protocol/evil-markup.yaml', evil, { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    const page = await newPage(browser, errors)
    await page.goto(`${b.url}/#/p/${published.publisher}/evil-markup`)
    await page.getByRole('heading', { name: 'evil-markup', level: 1 }).waitFor()
    assert.equal(await page.locator('paip-marketplace img, paip-marketplace script, paip-marketplace svg, paip-marketplace b').count(), 0)
    assert.match(await page.locator('.description').textContent() ?? '', /<img src=x onerror=/)
    assert.equal(await page.locator('.description a', { hasText: 'click me' }).count(), 0)
    assert.equal(await page.locator('.description a', { hasText: 'fine' }).getAttribute('href'), 'https://example.org')
    assert.equal(await page.evaluate(() => (globalThis as any).pwned), undefined)
    await page.context().close()
  })

  it('shows the node page: its peer ID, addresses and peers with their RTT', async () => {
    await nodes[1].client.put('/repo/user/nora', { password: 'nora password' })
    const page = await newPage(browser, errors)
    await page.goto(nodes[1].url + '/#/login')
    await logIn(page, 'nora', 'nora password')
    await page.goto(nodes[1].url + '/#/node')
    await page.locator('.peer-id').waitFor()
    assert.equal(await page.locator('.peer-id').textContent(), nodes[1].node.components.peerId.toString())
    await until(async () => await page.locator('.peers td', { hasText: / ms$/ }).count() > 0, 20_000, 'an RTT')
      .catch(async err => { throw new Error(`${err.message}; the table: ${await page.locator('.peers').textContent()}`) })
    await shot(page, 'node')
    await page.context().close()
  })
})
