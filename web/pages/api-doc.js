import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'

const METHODS = ['get', 'put', 'post', 'delete', 'patch']

/** The node's OpenAPI document, browsable: every path, its methods and parameters. */
export function ApiPage ({ api }) {
  const [doc, setDoc] = useState()
  const [error, setError] = useState('')
  useEffect(() => { api.json('/api/v1/openapi.json').then(setDoc, err => setError(err.message)) }, [])
  if (error !== '') return html`<p class="error" role="alert">${error}</p>`
  if (doc == null) return html`<p class="status">loading…</p>`
  return html`
    <article class="api-doc">
      <h1>${doc.info.title} <small>${doc.info.version}</small></h1>
      <p>${doc.info.description} The document itself: <a href=${api.root + '/api/v1/openapi.json'}>/api/v1/openapi.json</a> (OpenAPI ${doc.openapi}).</p>
      ${Object.entries(doc.paths).map(([path, item]) => html`
        <section class="endpoint">
          ${METHODS.filter(m => item[m] != null).map(m => html`
            <details>
              <summary><span class=${'method m-' + m}>${m.toUpperCase()}</span> <code>${path}</code> ${item[m].summary ?? ''}</summary>
              ${item[m].description == null ? null : html`<p>${item[m].description}</p>`}
              ${(item[m].parameters ?? []).length === 0 ? null : html`<ul>${item[m].parameters.map(p => html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''})</li>`)}</ul>`}
              ${item[m].requestBody == null ? null : html`<pre class="code"><code>${JSON.stringify(item[m].requestBody.content?.['application/json']?.schema ?? item[m].requestBody, null, 2)}</code></pre>`}
            </details>`)}
        </section>`)}
    </article>`
}
