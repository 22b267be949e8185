import { html } from 'htm/preact'
export function DatasetsPage () { return html`<p>Datasets.</p>` }
export function DatasetPage () { return html`<p>Dataset.</p>` }
