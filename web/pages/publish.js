import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { yaml } from '../text.js'

const EXAMPLE = `protocolVersion: 2
name: my-protocol
type: job
description: What it trains, on what data
prerequisites:
  - type: dockerimage
    name: image
    uri: openpai/standard:python_3.6-pytorch_1.2.0-gpu
taskRoles:
  train:
    instances: 1
    dockerImage: image
    resourcePerInstance: { cpu: 1, memoryMB: 2048, gpu: 0 }
    commands:
      - python train.py
`

/** Problems by line, for the highlighted preview; problems without a line go to line 1. */
function marksOf (problems) {
  const marks = new Map()
  for (const p of problems) {
    const line = p.line ?? 1
    marks.set(line, [...(marks.get(line) ?? []), p])
  }
  return marks
}

export function PublishPage ({ api, session }) {
  const [text, setText] = useState(EXAMPLE)
  const [file, setFile] = useState('my-protocol.yaml')
  const [fileTouched, setFileTouched] = useState(false)
  const [check, setCheck] = useState()
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  // validated live, as `paip validate` would, a moment after each change
  useEffect(() => {
    const controller = new AbortController()
    const timer = setTimeout(() => {
      api.send('POST', '/api/v1/protocols/validate', { protocol: text }, { signal: controller.signal }).then(result => {
        setCheck(result)
        if (!fileTouched && typeof result.name === 'string' && /^[\w.-]+$/.test(result.name)) setFile(`${result.name}.yaml`)
      }, err => { if (!controller.signal.aborted) setError(err.message) })
    }, 300)
    return () => { clearTimeout(timer); controller.abort() }
  }, [text])

  async function upload (e) {
    const chosen = e.currentTarget.files?.[0]
    if (chosen == null) return
    setText(await chosen.text())
    setFile(chosen.name)
    setFileTouched(true)
  }

  async function publish (e) {
    e.preventDefault()
    setError('')
    setBusy(true)
    try {
      const response = await api.request(`/repo/protocol/${file.split('/').map(encodeURIComponent).join('/')}`, {
        method: 'PUT', headers: { 'content-type': 'text/yaml' }, body: text
      })
      const result = await response.json()
      location.hash = `#/p/${encodeURIComponent(result.publisher)}/${encodeURIComponent(result.name)}`
    } catch (err) {
      setError(err.status === 401 ? 'Log in to publish.' : err.message)
      if (err.details?.problems != null) setCheck({ ok: false, errors: err.details.problems, warnings: [] })
    } finally { setBusy(false) }
  }

  const problems = [...(check?.errors ?? []), ...(check?.warnings ?? [])]
  return html`
    <form class="publish" onSubmit=${publish}>
      <h1>Publish a protocol</h1>
      ${session.user === '' ? html`<p class="muted">You publish as the user you are logged in as: <a href="#/login">log in</a> first.</p>` : html`<p class="muted">Publishing as <strong>${session.user}</strong> from this node.</p>`}
      <label>File in the repository <input name="file" required value=${file} onInput=${e => { setFile(e.currentTarget.value); setFileTouched(true) }} /></label>
      <label>Upload a YAML file <input type="file" accept=".yaml,.yml,text/yaml" onChange=${upload} /></label>
      <label>Or paste it <textarea name="protocol" spellcheck="false" value=${text} onInput=${e => setText(e.currentTarget.value)}></textarea></label>
      <div class="validation" aria-live="polite">
        ${check == null ? html`<span class="muted">checking…</span>`
          : check.ok ? html`<span class="ok">valid${check.warnings.length > 0 ? ` (${check.warnings.length} warning${check.warnings.length === 1 ? '' : 's'})` : ''}</span>`
          : html`<span class="error-text">${check.errors.length} problem${check.errors.length === 1 ? '' : 's'}</span>`}
        ${problems.length === 0 ? null : html`<ul class="problems">${problems.map(p => html`<li class=${p.severity}>${p.line == null ? '' : `line ${p.line}: `}${p.message}</li>`)}</ul>`}
      </div>
      ${yaml(text, marksOf(problems))}
      ${error === '' ? null : html`<p class="error" role="alert">${error}</p>`}
      <div><button type="submit" disabled=${busy || check?.ok !== true}>Publish</button></div>
    </form>`
}
