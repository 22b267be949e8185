import { html } from 'htm/preact'
export function JobsPage () { return html`<p>Jobs.</p>` }
export function JobPage () { return html`<p>Job.</p>` }
