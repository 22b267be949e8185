import { html } from 'htm/preact'
export function PublishPage () { return html`<p>Publishing from the browser is coming.</p>` }
