// The paip portal: one custom element, <paip-marketplace api-url="...">, rendering every page
// into its shadow root. The node serves it at / (same origin) and as /plugin.js for OpenPAI.
import { render } from 'preact'
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { createApi } from './api.js'
import { SearchPage } from './pages/search.js'
import { ProtocolPage } from './pages/protocol.js'
import { NodePage } from './pages/node.js'
import { LoginPage } from './pages/login.js'
import { PublishPage } from './pages/publish.js'
import { JobsPage, JobPage } from './pages/jobs.js'
import { DatasetsPage, DatasetPage } from './pages/datasets.js'
import { ApiPage } from './pages/api-doc.js'
import css from './style.css'

/** `#/p/<publisher>/<name>?x=y` → { path: ['p', publisher, name], query } */
function parseHash () {
  const raw = location.hash.replace(/^#\/?/, '')
  const [path, search] = raw.split('?')
  return { path: path.split('/').filter(s => s !== '').map(decodeURIComponent), query: new URLSearchParams(search ?? '') }
}

export function navigate (path) { location.hash = '#/' + path }

function App ({ api }) {
  const [route, setRoute] = useState(parseHash())
  const [info, setInfo] = useState(undefined)
  const [user, setUser] = useState(api.session.user)
  useEffect(() => {
    const onHash = () => setRoute(parseHash())
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  useEffect(() => { api.json('/api/v1/portal').then(setInfo, () => setInfo({ mode: 'node' })) }, [])
  const session = { user, login: (name, token) => { api.session.set(name, token); setUser(name) }, logout: () => { api.session.clear(); setUser('') } }
  const [page, ...args] = route.path
  const readOnly = info?.mode === 'repository'
  const props = { api, info, session, query: route.query, readOnly }
  let body
  switch (page) {
    case 'p': body = html`<${ProtocolPage} ...${props} publisher=${args.length > 1 ? args[0] : undefined} name=${args.at(-1)} />`; break
    case 'node': body = html`<${NodePage} ...${props} />`; break
    case 'login': body = html`<${LoginPage} ...${props} />`; break
    case 'publish': body = html`<${PublishPage} ...${props} />`; break
    case 'jobs': body = args.length > 0 ? html`<${JobPage} ...${props} id=${args[0]} />` : html`<${JobsPage} ...${props} />`; break
    case 'datasets': body = args.length > 0 ? html`<${DatasetPage} ...${props} ref=${args[0]} />` : html`<${DatasetsPage} ...${props} />`; break
    case 'api': body = html`<${ApiPage} ...${props} />`; break
    default: body = html`<${SearchPage} ...${props} />`
  }
  const link = (to, label) => html`<a href=${'#/' + to} aria-current=${page === to || (to === '' && page == null) ? 'page' : undefined}>${label}</a>`
  return html`
    <header class="top">
      <a class="brand" href="#/">paip<span>marketplace</span></a>
      <nav aria-label="main">
        ${link('', 'Protocols')}
        ${readOnly ? null : html`${link('publish', 'Publish')}${link('datasets', 'Datasets')}${link('jobs', 'Jobs')}${link('node', 'Node')}`}
        ${link('api', 'API')}
      </nav>
      <div class="who">
        ${readOnly
          ? html`<span class="pill">read-only: ${info?.root ?? 'local repository'}</span>`
          : user === ''
            ? html`<a href="#/login">Log in</a>`
            : html`<span>signed in as <strong>${user}</strong></span> <button class="link" onClick=${async () => { try { await api.request('/repo/auth', { method: 'DELETE' }) } catch {} session.logout() }}>Log out</button>`}
      </div>
    </header>
    <main id="main">${body}</main>`
}

class PaipMarketplace extends HTMLElement {
  connectedCallback () {
    if (this.shadowRoot != null) return
    const root = this.attachShadow({ mode: 'open' })
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    root.adoptedStyleSheets = [sheet]
    if (document.body.dataset.portal != null && !document.adoptedStyleSheets.some(s => s.portal)) {
      // the portal's own page (not a plugin in someone else's): the element fills it
      const page = new CSSStyleSheet()
      page.replaceSync('body { margin: 0 }')
      page.portal = true
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, page]
    }
    const api = createApi(this.getAttribute('api-url') ?? '')
    render(html`<${App} api=${api} />`, root)
  }
}

if (customElements.get('paip-marketplace') == null) customElements.define('paip-marketplace', PaipMarketplace)
