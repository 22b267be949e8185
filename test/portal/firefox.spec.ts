import assert from 'node:assert/strict'
import { launchFirefox, newFirefoxPage } from '../fixtures/browser.js'
import { startNode } from '../fixtures/daemon.js'
import { until } from '../fixtures/wait.js'
import { protocolYaml } from '../marketplace/fixtures.js'
import type { TestNode } from '../fixtures/daemon.js'
import type { Browser, Page } from 'puppeteer-core'

/** A selector inside the portal's shadow root (`>>>` pierces it). */
const app = (selector: string): string => `paip-marketplace >>> ${selector}`

/** The text of every element `selector` matches in the portal. */
async function texts (page: Page, selector: string): Promise<string[]> {
  return await page.$$eval(app(selector), elements => elements.map(e => e.textContent ?? ''))
}

/** Waits until an element matching `selector` holds text matching `pattern`. */
async function waitForText (page: Page, selector: string, pattern: RegExp, ms = 20_000): Promise<void> {
  await until(async () => (await texts(page, selector)).some(t => pattern.test(t)), ms, `${selector} showing ${pattern}`)
    .catch(async err => { throw new Error(`${(err as Error).message}; shown: ${(await texts(page, selector)).join(' | ')}`) })
}

/** The element that has the focus, looking into shadow roots: its tag, text and attributes. */
async function focused (page: Page): Promise<{ tag: string, text: string, href: string | null, name: string | null }> {
  return await page.evaluate(() => {
    let el: any = (globalThis as any).document.activeElement
    while (el?.shadowRoot?.activeElement != null) el = el.shadowRoot.activeElement
    return { tag: el?.tagName.toLowerCase() ?? '', text: el?.textContent ?? '', href: el?.getAttribute('href') ?? null, name: el?.getAttribute('name') ?? null }
  })
}

/** Presses Tab until the focus is on an element that `wanted` accepts (at most 40 times). */
async function tabTo (page: Page, wanted: (f: Awaited<ReturnType<typeof focused>>) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab')
    if (wanted(await focused(page))) return
  }
  throw new Error(`Tab never reached ${what}`)
}

describe('portal: the web pages in a real Firefox (WebDriver BiDi) on a 2-node loopback grid', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []
  let browser: Browser
  const errors: string[] = []
  let publisher: string

  before(async () => {
    nodes.push(await startNode())
    nodes.push(await startNode({ config: { network: { bootstrap: nodes[0].node.components.host.getMultiaddrs().map(String) } } }))
    await until(() => nodes.every(n => n.node.components.host.services.dht.routingTable.size > 0), 20_000, 'the grid to form')
    const [a] = nodes
    const put = async (yaml: Uint8Array): Promise<any> => await a.client.put('/repo/protocol/svhn-resnet.yaml', yaml, { raw: true, headers: { 'content-type': 'text/yaml' } } as any)
    await put(protocolYaml('svhn-resnet', 'Residual network on **house numbers**'))
    publisher = (await put(protocolYaml('svhn-resnet', 'Residual network on **house numbers**', '--epochs 12'))).publisher
    await a.client.put('/repo/user/fiona', { password: 'fiona password' })
    browser = await launchFirefox()
  })
  after(async () => {
    await browser?.close()
    await Promise.allSettled(nodes.map(async n => await n.stop()))
  })
  afterEach(function () {
    if (this.currentTest?.state === 'passed') assert.deepEqual(errors, [], 'the page logged errors')
    errors.length = 0
  })

  it('renders the portal in Firefox under its strict content security policy with no page error', async () => {
    const page = await newFirefoxPage(browser, errors)
    await page.goto(nodes[0].url + '/')
    await page.waitForSelector(app('input[type="search"]'))
    assert.match(await browser.version(), /firefox/i)
    await page.browserContext().close()
  })

  it('finds a protocol published on another node as results stream in, opens it and diffs two versions', async () => {
    const page = await newFirefoxPage(browser, errors)
    await page.goto(nodes[1].url + '/')
    await page.locator(app('input[type="search"]')).fill('svhn house')
    await waitForText(page, '.results .card', /svhn-resnet[\s\S]*by admin/)
    await page.locator(app('.results .card a.title')).click()
    await waitForText(page, 'h1', /^svhn-resnet$/)
    assert.deepEqual(await texts(page, '.description strong'), ['house numbers'])
    assert.ok((await texts(page, 'pre.yaml .y-key')).includes('protocolVersion'))
    assert.deepEqual((await texts(page, '.copy code'))[0], `paip pull ${publisher}/svhn-resnet`)
    await page.waitForSelector(app('.diff'))
    assert.ok((await texts(page, '.diff .d-add')).some(l => l.includes('--epochs 12')))
    // the same version on both sides: nothing changed
    await page.select(app('select[name="from"]'), '0')
    await waitForText(page, '.diff', /These versions have the same content\./)
    await page.browserContext().close()
  })

  it('validates a protocol live as it is typed, shows the problem at its line, and publishes it once valid', async () => {
    const [a, b] = nodes
    const page = await newFirefoxPage(browser, errors)
    await page.goto(a.url + '/#/login')
    await page.locator(app('input[name="user"]')).fill('fiona')
    await page.locator(app('input[name="password"]')).fill('fiona password')
    await page.locator(app('form.login button[type="submit"]')).click()
    await waitForText(page, '.who strong', /^fiona$/)
    await page.goto(a.url + '/#/publish')
    const editor = app('textarea[name="protocol"]')
    await page.locator(editor).fill('protocolVersion: 2\nname: kmnist\ntype: job\ntaskRoles:\n  train:\n    instances: many\n')
    await waitForText(page, '.validation', /problem/)
    assert.ok((await texts(page, '.problems li')).some(p => /^line \d+: /.test(p)), 'a problem shown at its line')
    await page.waitForSelector(app('.y-problem'))
    assert.equal(await page.$eval(app('form.publish button[type="submit"]'), b => (b as any).disabled), true)
    await page.locator(editor).fill(new TextDecoder().decode(protocolYaml('kmnist', 'Kuzushiji **cursive** letters')))
    await waitForText(page, '.validation .ok', /valid/)
    assert.equal(await page.$eval(app('input[name="file"]'), i => (i as any).value), 'kmnist.yaml')
    await page.locator(app('form.publish button[type="submit"]')).click()
    await waitForText(page, 'h1', /^fiona\/kmnist$/)
    await waitForText(page, '.protocol .meta', /by fiona/)
    await page.browserContext().close()

    const other = await newFirefoxPage(browser, errors)
    await other.goto(b.url + '/')
    await other.locator(app('input[type="search"]')).fill('kuzushiji cursive')
    await waitForText(other, '.results .card', /kmnist[\s\S]*by fiona/)
    await other.browserContext().close()
  })

  it('is usable with the keyboard alone: Tab to a link and Enter follows it, a search runs on Enter, a result opens on Enter', async () => {
    const page = await newFirefoxPage(browser, errors)
    await page.goto(nodes[1].url + '/#/node')
    await page.waitForSelector(app('.peer-id'))
    await tabTo(page, f => f.tag === 'a' && f.href === '#/', 'the Protocols link')
    await page.keyboard.press('Enter')
    await page.waitForSelector(app('input[type="search"]'))
    await tabTo(page, f => f.tag === 'input' && f.name == null, 'the search box')
    await page.keyboard.type('svhn residual')
    await page.keyboard.press('Enter')
    await waitForText(page, '.results .card', /svhn-resnet/)
    await tabTo(page, f => f.tag === 'a' && (f.href ?? '').startsWith('#/p/'), 'the first result')
    await page.keyboard.press('Enter')
    await waitForText(page, 'h1', /^svhn-resnet$/)
    // the versions can be chosen from the keyboard too
    await tabTo(page, f => f.tag === 'select' && f.name === 'from', 'the "from" version')
    await page.keyboard.press('ArrowUp')
    await waitForText(page, '.diff', /These versions have the same content\./)
    await page.browserContext().close()
  })
})
