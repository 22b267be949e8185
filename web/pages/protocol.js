import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { diffLines } from 'diff'
import { short, when } from '../api.js'
import { markdown, yaml } from '../text.js'
import { CopyLine } from './copy.js'

function Diff ({ from, to }) {
  if (from == null || to == null) return null
  const parts = diffLines(from.content, to.content)
  const changed = parts.some(p => p.added || p.removed)
  return html`
    <div class="diff" role="region" aria-label=${`changes from version ${from.seq} to ${to.seq}`}>
      ${changed ? null : html`<p class="muted">These versions have the same content.</p>`}
      <pre><code>${parts.flatMap(p => p.value.replace(/\n$/, '').split('\n').map(line =>
        html`<span class=${p.added ? 'd-add' : p.removed ? 'd-del' : 'd-same'}>${p.added ? '+ ' : p.removed ? '- ' : '  '}${line}\n</span>`))}</code></pre>
    </div>`
}

export function ProtocolPage ({ api, publisher, name, readOnly }) {
  const ref = publisher == null ? name : `${publisher}/${name}`
  const [data, setData] = useState()
  const [error, setError] = useState('')
  const [shown, setShown] = useState(0)
  const [pair, setPair] = useState([1, 0])
  useEffect(() => {
    setData(undefined)
    setError('')
    api.json(`/api/v1/marketplace/history?ref=${encodeURIComponent(ref)}`).then(d => {
      setData(d)
      setShown(0)
      setPair([Math.min(1, d.versions.length - 1), 0])
    }, err => setError(err.message))
  }, [ref])
  if (error !== '') return html`<p class="error" role="alert">Could not open ${ref}: ${error}</p>`
  if (data == null) return html`<p class="status"><span class="spinner" aria-hidden="true"></span> fetching ${ref}…</p>`
  const versions = data.versions
  const full = data.publisher == null ? data.name : `${data.publisher}/${data.name}`
  const option = (v, i) => html`<option value=${i}>v${v.seq} · ${v.message || short(v.cid)}</option>`
  return html`
    <article class="protocol">
      <h1>${data.name}</h1>
      <p class="meta">
        ${data.user == null ? null : html`by <strong>${data.user}</strong> `}
        ${data.publisher == null || readOnly ? null : html`on node <code title=${data.publisher}>${short(data.publisher)}</code> · `}
        ${readOnly ? null : html`<span class="nodes">${data.holders.length} node${data.holders.length === 1 ? '' : 's'} hold${data.holders.length === 1 ? 's' : ''} it</span> · `}
        ${versions.length} version${versions.length === 1 ? '' : 's'} · ${data.file} · updated ${when(data.time)}
      </p>
      <div class="copies">
        ${readOnly
          ? html`<${CopyLine} text=${`paip run ${data.file}`} /><${CopyLine} text=${`paip push ${data.file}`} />`
          : html`<${CopyLine} text=${`paip pull ${full}`} /><${CopyLine} text=${`paip run ${full}`} />`}
      </div>
      <section class="description" aria-label="description">${markdown(data.description)}</section>
      <section>
        <h2>Protocol</h2>
        <label>Version <select value=${shown} onChange=${e => setShown(Number(e.currentTarget.value))}>${versions.map(option)}</select></label>
        ${yaml(versions[shown].content)}
      </section>
      <section>
        <h2>Versions</h2>
        <table class="versions">
          <thead><tr><th>#</th><th>message</th><th>author</th><th>time</th><th>version</th></tr></thead>
          <tbody>${versions.map(v => html`<tr><td>v${v.seq}</td><td>${v.message}</td><td>${v.author}</td><td>${when(v.time)}</td><td><code title=${v.cid}>${short(v.cid)}</code></td></tr>`)}</tbody>
        </table>
        ${versions.length < 2 ? null : html`
          <h3>Compare</h3>
          <div class="compare">
            <label>from <select name="from" value=${pair[0]} onChange=${e => setPair([Number(e.currentTarget.value), pair[1]])}>${versions.map(option)}</select></label>
            <label>to <select name="to" value=${pair[1]} onChange=${e => setPair([pair[0], Number(e.currentTarget.value)])}>${versions.map(option)}</select></label>
          </div>
          <${Diff} from=${versions[pair[0]]} to=${versions[pair[1]]} />`}
      </section>
    </article>`
}
