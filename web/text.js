// Text from publishers is rendered as elements, never as HTML: a hostile description or YAML
// file can only ever show up as text.
import { html } from 'htm/preact'

const SAFE_URL = /^(https?:\/\/|mailto:|#|\/(?!\/))/i

/** Inline markdown: `code`, **bold**, *em*, [text](http...) links. */
export function inline (text) {
  const out = []
  const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/g
  let last = 0
  let m
  while ((m = re.exec(text)) != null) {
    if (m.index > last) out.push(text.slice(last, m.index))
    const t = m[0]
    if (m[1] != null) out.push(html`<code>${t.slice(1, -1)}</code>`)
    else if (m[2] != null) out.push(html`<strong>${t.slice(2, -2)}</strong>`)
    else if (m[3] != null) out.push(html`<em>${t.slice(1, -1)}</em>`)
    else {
      const label = t.slice(1, t.indexOf(']'))
      const url = t.slice(t.indexOf('](') + 2, -1)
      out.push(SAFE_URL.test(url) ? html`<a href=${url} rel="noopener noreferrer" target="_blank">${label}</a>` : label)
    }
    last = m.index + t.length
  }
  if (last < text.length) out.push(text.slice(last))
  return out
}

/** Block markdown: headings, fenced code, lists, quotes, paragraphs. */
export function markdown (source) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n')
  const blocks = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]
    if (line.trim() === '') { i++; continue }
    if (/^\s*```/.test(line)) {
      const body = []
      i++
      while (i < lines.length && !/^\s*```/.test(lines[i])) body.push(lines[i++])
      i++
      blocks.push(html`<pre class="code"><code>${body.join('\n')}</code></pre>`)
      continue
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line)
    if (heading != null) {
      const level = Math.min(heading[1].length + 2, 6)
      blocks.push(html`<${'h' + level}>${inline(heading[2])}</${'h' + level}>`)
      i++
      continue
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line)
      const items = []
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*([-*+]|\d+[.)])\s+/, ''))
      const lis = items.map(t => html`<li>${inline(t)}</li>`)
      blocks.push(ordered ? html`<ol>${lis}</ol>` : html`<ul>${lis}</ul>`)
      continue
    }
    if (/^>\s?/.test(line)) {
      const quoted = []
      while (i < lines.length && /^>\s?/.test(lines[i])) quoted.push(lines[i++].replace(/^>\s?/, ''))
      blocks.push(html`<blockquote>${inline(quoted.join(' '))}</blockquote>`)
      continue
    }
    const para = []
    while (i < lines.length && lines[i].trim() !== '' && !/^(#{1,6}\s|\s*```|\s*([-*+]|\d+[.)])\s+|>)/.test(lines[i])) para.push(lines[i++].trim())
    if (para.length === 0) { blocks.push(html`<p>${inline(line)}</p>`); i++; continue }
    blocks.push(html`<p>${inline(para.join(' '))}</p>`)
  }
  return blocks
}

/** One YAML line as highlighted spans: comments, keys, strings, numbers and booleans, list dashes. */
function yamlLine (line) {
  const out = []
  let rest = line
  const lead = /^(\s*)(- )?/.exec(rest)
  if (lead[1] !== '') out.push(lead[1])
  if (lead[2] != null) out.push(html`<span class="y-dash">- </span>`)
  rest = rest.slice(lead[0].length)
  const key = /^([^\s#'"][^:#]*?|"[^"]*"|'[^']*'):(\s|$)/.exec(rest)
  if (key != null) {
    out.push(html`<span class="y-key">${key[1]}</span>`, ':' + key[2])
    rest = rest.slice(key[0].length)
  }
  if (rest === '') return out
  const comment = /(^|\s)#.*$/.exec(rest)
  const value = comment == null ? rest : rest.slice(0, comment.index + comment[1].length)
  const note = comment == null ? '' : rest.slice(comment.index + comment[1].length)
  if (/^\s*(["']).*\1\s*$/.test(value)) out.push(html`<span class="y-str">${value}</span>`)
  else if (/^\s*(-?\d+(\.\d+)?|true|false|null|~)\s*$/i.test(value)) out.push(html`<span class="y-num">${value}</span>`)
  else if (/^\s*[|>][-+]?\s*$/.test(value)) out.push(html`<span class="y-block">${value}</span>`)
  else if (/^\s*[&*!]/.test(value)) out.push(html`<span class="y-tag">${value}</span>`)
  else out.push(value)
  if (note !== '') out.push(html`<span class="y-comment">${note}</span>`)
  return out
}

/** YAML source with line numbers; `marks` maps a line number to the problems found there. */
export function yaml (source, marks = new Map()) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n')
  if (lines.length > 1 && lines.at(-1) === '') lines.pop()
  return html`<pre class="yaml" role="region" aria-label="YAML source" tabindex="0"><code>${lines.map((line, n) => {
    const problems = marks.get(n + 1)
    return html`<span class=${'y-line' + (problems == null ? '' : ' y-problem')} data-line=${n + 1}><span class="y-no" aria-hidden="true">${n + 1}</span>${/^\s*#/.test(line) ? html`<span class="y-comment">${line}</span>` : yamlLine(line)}${problems == null ? '' : html`<span class="y-note" role="note">${problems.map(p => p.message).join('; ')}</span>`}\n</span>`
  })}</code></pre>`
}
