import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { short, when } from '../api.js'

const kindOf = query => query.get('kind') === 'model' ? 'model' : 'dataset'
const bytes = n => n == null ? '' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`

/** Search results grouped by content (manifest CID): one row per dataset, the nodes holding it. */
function group (results) {
  const rows = new Map()
  for (const r of results) {
    const row = rows.get(r.entry.manifest) ?? { entry: r.entry, nodes: [], matched: r.matched, all: r.all }
    row.nodes.push(r.node)
    rows.set(r.entry.manifest, row)
  }
  return [...rows.values()].sort((a, b) => Number(b.all) - Number(a.all) || b.matched.length - a.matched.length || b.nodes.length - a.nodes.length)
}

export function DatasetsPage ({ api, query }) {
  const kind = kindOf(query)
  const [local, setLocal] = useState()
  const [tags, setTags] = useState('')
  const [found, setFound] = useState()
  const [state, setState] = useState('')
  const [error, setError] = useState('')
  const [fetched, setFetched] = useState({})
  useEffect(() => {
    setFound(undefined)
    setLocal(undefined)
    api.json(`/api/v1/${kind}s`).then(r => setLocal(r[`${kind}s`]), err => setError(err.message))
  }, [kind])

  async function search (e) {
    e.preventDefault()
    const terms = tags.split(/[\s,]+/).filter(t => t !== '')
    if (terms.length === 0) return
    setError('')
    setState('searching')
    try {
      setFound(group((await api.send('POST', `/api/v1/${kind}s/search`, { query: terms })).results))
    } catch (err) { setError(err.message) } finally { setState('') }
  }

  async function fetchOne (entry) {
    setFetched(old => ({ ...old, [entry.manifest]: 'fetching…' }))
    try {
      await api.send('POST', `/api/v1/${kind}s/fetch`, { ref: entry.manifest })
      setFetched(old => ({ ...old, [entry.manifest]: 'on this node' }))
    } catch (err) { setFetched(old => ({ ...old, [entry.manifest]: err.status === 401 ? 'log in to fetch' : err.message })) }
  }

  const link = entry => html`<a href=${`#/datasets/${encodeURIComponent(entry.name)}?kind=${kind}`}>${entry.name}</a>`
  return html`
    <article class="datasets">
      <h1>${kind === 'model' ? 'Models' : 'Datasets'}</h1>
      <p class="tabs"><a href="#/datasets?kind=dataset" aria-current=${kind === 'dataset' ? 'page' : undefined}>Datasets</a> · <a href="#/datasets?kind=model" aria-current=${kind === 'model' ? 'page' : undefined}>Models</a></p>
      <form role="search" onSubmit=${search}>
        <label for="tags" class="sr">Search the grid by tags</label>
        <input id="tags" type="search" placeholder="Search the grid by tags: #MNIST images" value=${tags} onInput=${e => setTags(e.currentTarget.value)} />
        <button type="submit">Search the grid</button>
      </form>
      <p class="status" aria-live="polite">${state === 'searching' ? html`<span class="spinner" aria-hidden="true"></span> asking the nodes…` : found == null ? '' : `${found.length} found`}</p>
      ${error === '' ? null : html`<p class="error" role="alert">${error}</p>`}
      ${found == null ? null : html`
        <table class="grid-results">
          <thead><tr><th>name</th><th>tags</th><th>size</th><th>held by</th><th></th></tr></thead>
          <tbody>${found.map(row => html`<tr>
            <td>${row.entry.name}</td><td>${(row.entry.tags ?? []).map(t => html`<span class="tag">${t}</span> `)}</td><td>${bytes(row.entry.size)}</td>
            <td><div class="grid-nodes">${row.nodes.map(n => html`<code title=${n.peerId}>${n.self ? 'this node' : short(n.peerId)}</code>`)}</div></td>
            <td>${row.nodes.some(n => n.self) ? 'on this node' : row.entry.public === false ? 'private' : fetched[row.entry.manifest] ?? html`<button type="button" onClick=${() => fetchOne(row.entry)}>Fetch</button>`}</td>
          </tr>`)}</tbody>
        </table>`}
      <h2>On this node</h2>
      ${local == null ? html`<p class="status">loading…</p>` : local.length === 0 ? html`<p class="muted">None yet: <code>paip ${kind}s add</code>.</p>` : html`
        <table>
          <thead><tr><th>name</th><th>tags</th><th>files</th><th>size</th><th>owner</th><th>added</th></tr></thead>
          <tbody>${local.map(e => html`<tr><td>${link(e)}</td><td>${(e.tags ?? []).map(t => html`<span class="tag">${t}</span> `)}</td><td>${e.files}</td><td>${bytes(e.size)}</td><td>${e.owner ?? 'admin'}</td><td>${when(Date.parse(e.addedAt))}</td></tr>`)}</tbody>
        </table>`}
    </article>`
}

export function DatasetPage ({ api, ref, query }) {
  const kind = kindOf(query)
  const [entry, setEntry] = useState()
  const [error, setError] = useState('')
  useEffect(() => { api.json(`/api/v1/${kind}s/${encodeURIComponent(ref)}`).then(setEntry, err => setError(err.message)) }, [ref, kind])
  if (error !== '') return html`<p class="error" role="alert">${error}</p>`
  if (entry == null) return html`<p class="status">loading…</p>`
  const { manifestFiles, ...meta } = entry
  return html`
    <article class="dataset">
      <h1>${entry.name}</h1>
      <p class="meta">${kind} · ${entry.files} file${entry.files === 1 ? '' : 's'} · ${bytes(entry.size)} · ${entry.public ? 'public' : 'private'} · manifest <code title=${entry.manifest}>${short(entry.manifest)}</code></p>
      ${entry.description == null ? null : html`<p>${entry.description}</p>`}
      <h2>Files</h2>
      <table><thead><tr><th>path</th><th>size</th><th>CID</th></tr></thead>
        <tbody>${manifestFiles.map(f => html`<tr><td><code>${f.path}</code></td><td>${bytes(f.size)}</td><td><code title=${f.cid}>${short(f.cid)}</code></td></tr>`)}</tbody></table>
      <h2>Metadata</h2>
      <pre class="code"><code>${JSON.stringify(meta, null, 2)}</code></pre>
    </article>`
}
