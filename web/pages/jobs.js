import { html } from 'htm/preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { short, when } from '../api.js'

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])

export function JobsPage ({ api, session }) {
  const [jobs, setJobs] = useState()
  const [error, setError] = useState('')
  useEffect(() => {
    let live = true
    const load = () => api.json('/api/v1/jobs').then(r => { if (live) setJobs(r.jobs) }, err => { if (live) setError(err.message) })
    void load()
    const timer = setInterval(load, 3000)
    return () => { live = false; clearInterval(timer) }
  }, [session.user])
  if (error !== '') return html`<p class="error" role="alert">${error}${session.user === '' ? html` — <a href="#/login">log in</a> to see your jobs.` : null}</p>`
  if (jobs == null) return html`<p class="status">loading…</p>`
  return html`
    <article>
      <h1>Jobs</h1>
      ${jobs.length === 0 ? html`<p class="muted">No jobs. Run one with <code>paip run &lt;protocol&gt;</code>.</p>` : null}
      <table class="jobs">
        <thead><tr><th>job</th><th>state</th><th>owner</th><th>node</th><th>submitted</th></tr></thead>
        <tbody>${jobs.map(j => html`<tr><td><a href=${`#/jobs/${encodeURIComponent(j.id)}`}>${j.id}</a></td><td><span class=${'state s-' + j.state}>${j.state}</span></td><td>${j.owner ?? ''}</td><td><code>${short(j.node)}</code></td><td>${when(j.createdAt)}</td></tr>`)}</tbody>
      </table>
    </article>`
}

export function JobPage ({ api, id }) {
  const [job, setJob] = useState()
  const [log, setLog] = useState('')
  const [error, setError] = useState('')
  const pre = useRef()
  const base = `/api/v1/jobs/${encodeURIComponent(id)}`
  useEffect(() => {
    let live = true
    const load = () => api.json(base).then(r => { if (live) setJob(r.job) }, err => { if (live) setError(err.message) })
    void load()
    const timer = setInterval(load, 2000)
    return () => { live = false; clearInterval(timer) }
  }, [id])
  // the log follows: one streaming request, text appended as it comes
  useEffect(() => {
    const controller = new AbortController()
    const decoder = new TextDecoder()
    api.request(`${base}/logs?follow=true`, { signal: controller.signal }).then(async response => {
      const reader = response.body.getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        setLog(old => old + decoder.decode(value, { stream: true }))
      }
    }).catch(err => { if (!controller.signal.aborted) setError(err.message) })
    return () => controller.abort()
  }, [id])
  useEffect(() => { if (pre.current != null) pre.current.scrollTop = pre.current.scrollHeight }, [log])

  async function cancel () {
    try { setJob((await api.send('POST', `${base}/cancel`, {})).job) } catch (err) { setError(err.message) }
  }
  async function download (output) {
    try {
      const blob = await (await api.request(`${base}/outputs/${encodeURIComponent(output.cid)}`)).blob()
      const a = document.createElement('a')
      a.href = URL.createObjectURL(blob)
      a.download = output.path?.split('/').pop() ?? output.cid
      a.click()
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    } catch (err) { setError(err.message) }
  }
  return html`
    <article class="job">
      <h1>Job ${id}</h1>
      ${error === '' ? null : html`<p class="error" role="alert">${error}</p>`}
      ${job == null ? null : html`
        <p class="meta">state <strong class=${'state s-' + job.state}>${job.state}</strong> · owner ${job.owner ?? ''} · node <code>${short(job.node)}</code>
          ${FINAL.has(job.state) ? null : html` <button type="button" onClick=${cancel}>Cancel</button>`}</p>`}
      <h2>Log</h2>
      <pre class="log" ref=${pre} aria-live="polite">${log}</pre>
      ${(job?.outputs ?? []).length === 0 ? null : html`
        <h2>Outputs</h2>
        <ul>${job.outputs.map(o => html`<li><button type="button" class="link-button" onClick=${() => download(o)}>${o.path ?? o.cid}</button> <span class="muted">${o.size} bytes</span></li>`)}</ul>`}
    </article>`
}
