import { html } from 'htm/preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { short, when } from '../api.js'
import { inline } from '../text.js'

const key = hit => `${hit.publisher}/${hit.name}`

/** Best first: more keywords matched, then more nodes holding it, then the newest. */
const rank = (a, b) => (b.matched ?? 0) - (a.matched ?? 0) || (b.nodes ?? 0) - (a.nodes ?? 0) || b.time - a.time

export function SearchPage ({ api, query }) {
  const [text, setText] = useState(query.get('q') ?? '')
  const [hits, setHits] = useState([])
  const [state, setState] = useState('idle')
  const [error, setError] = useState('')
  const current = useRef()

  async function run (q) {
    current.current?.abort()
    const controller = new AbortController()
    current.current = controller
    setError('')
    const words = q.trim()
    if (words === '') {
      setState('local')
      try {
        const { entries } = await api.json('/api/v1/marketplace/entries', { signal: controller.signal })
        if (!controller.signal.aborted) setHits(entries.map(e => ({ ...e, nodes: 1 })).sort(rank))
      } catch (err) { if (!controller.signal.aborted) setError(err.message) }
      return
    }
    setHits([])
    setState('searching')
    const found = new Map()
    try {
      await api.lines(`/repo/search/${encodeURIComponent(words)}`, line => {
        if (controller.signal.aborted) return
        if (line.hit != null) {
          found.set(key(line.hit), line.hit)
          setHits([...found.values()].sort(rank))
        } else if (line.error != null) setError(line.error.message)
      }, { signal: controller.signal })
      if (!controller.signal.aborted) setState('done')
    } catch (err) {
      if (!controller.signal.aborted) { setError(err.message); setState('done') }
    }
  }

  // typing searches a moment after the last key; Enter searches at once
  const pending = useRef()
  const ran = useRef()
  useEffect(() => {
    pending.current = setTimeout(() => { if (ran.current !== text) { ran.current = text; void run(text) } }, text === '' || ran.current == null ? 0 : 250)
    return () => clearTimeout(pending.current)
  }, [text])
  const submit = () => { clearTimeout(pending.current); ran.current = text; void run(text) }
  useEffect(() => () => current.current?.abort(), [])

  return html`
    <section class="search">
      <form role="search" onSubmit=${e => { e.preventDefault(); submit() }}>
        <label for="q" class="sr">Search protocols</label>
        <input id="q" type="search" placeholder="Search protocols across the network (e.g. mnist pytorch)" autocomplete="off"
          value=${text} onInput=${e => setText(e.currentTarget.value)} autofocus />
        <button type="submit">Search</button>
      </form>
      <p class="status" aria-live="polite">
        ${state === 'local' ? 'Protocols held on this node. Type to search the whole network.' : null}
        ${state === 'searching' ? html`<span class="spinner" aria-hidden="true"></span> searching the network… ${hits.length} found so far` : null}
        ${state === 'done' ? `${hits.length} protocol${hits.length === 1 ? '' : 's'} found` : null}
      </p>
      ${error === '' ? null : html`<p class="error" role="alert">${error}</p>`}
      <ul class="results">
        ${hits.map(hit => html`
          <li key=${key(hit)} class="card">
            <a class="title" href=${`#/p/${encodeURIComponent(hit.publisher)}/${encodeURIComponent(hit.name)}`}>${hit.name}</a>
            <span class="meta">v${hit.versions} · by <strong>${hit.user}</strong> on <code title=${hit.publisher}>${short(hit.publisher)}</code> · ${hit.nodes ?? hit.holders?.length ?? 1} node${(hit.nodes ?? 1) === 1 ? '' : 's'} · ${when(hit.time)}</span>
            <p>${inline((hit.description ?? '').split('\n')[0])}</p>
            <div class="tags">${(hit.keywords ?? []).slice(0, 8).map(k => html`<span class="tag">${k}</span>`)}</div>
          </li>`)}
      </ul>
    </section>`
}
