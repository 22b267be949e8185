import { html } from 'htm/preact'
import { useState } from 'preact/hooks'

/** A command line with a button that copies it. */
export function CopyLine ({ text }) {
  const [copied, setCopied] = useState(false)
  async function copy (e) {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      // no clipboard permission (plain http): select the text so Ctrl+C copies it
      const code = e.currentTarget.parentElement.querySelector('code')
      const range = document.createRange()
      range.selectNodeContents(code)
      const selection = code.getRootNode().getSelection?.() ?? getSelection()
      selection.removeAllRanges()
      selection.addRange(range)
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return html`<div class="copy"><code>${text}</code><button type="button" onClick=${copy} aria-label=${`copy: ${text}`}>${copied ? 'copied' : 'copy'}</button></div>`
}
