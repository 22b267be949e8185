import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'

export function NodePage ({ api, session }) {
  const [id, setId] = useState()
  const [peers, setPeers] = useState()
  const [rtt, setRtt] = useState({})
  const [error, setError] = useState('')
  useEffect(() => {
    let live = true
    const load = async () => {
      try {
        const [i, p] = await Promise.all([api.json('/api/v1/id'), api.json('/api/v1/peers')])
        if (!live) return
        setId(i)
        setPeers(p)
        // making the node dial a peer needs a token: anonymous visitors see no RTT
        for (const peer of session.user === '' ? [] : p.peers.filter(x => x.connected).slice(0, 20)) {
          api.send('POST', '/api/v1/ping', { peer: peer.peerId, timeout: 5000 })
            .then(r => { if (live) setRtt(old => ({ ...old, [peer.peerId]: `${Math.round(r.rtt)} ms` })) },
              () => { if (live) setRtt(old => ({ ...old, [peer.peerId]: 'no answer' })) })
        }
      } catch (err) { if (live) setError(err.message) }
    }
    void load()
    return () => { live = false }
  }, [session.user])
  if (error !== '') return html`<p class="error" role="alert">${error}</p>`
  if (id == null || peers == null) return html`<p class="status"><span class="spinner" aria-hidden="true"></span> loading…</p>`
  return html`
    <article class="node">
      <h1>This node</h1>
      <dl class="facts">
        <dt>Peer ID</dt><dd><code class="peer-id">${id.peerId}</code></dd>
        <dt>Version</dt><dd>${id.version}</dd>
        <dt>Addresses</dt><dd><ul class="plain">${id.addresses.map(a => html`<li><code>${a}</code></li>`)}</ul></dd>
        <dt>Routing table</dt><dd><span class="rt">${peers.routingTable}</span> peer${peers.routingTable === 1 ? '' : 's'}</dd>
      </dl>
      <h2>Peers (${peers.peers.length})</h2>
      <table class="peers">
        <thead><tr><th>peer</th><th>connected</th><th>routing table</th><th>RTT</th><th>addresses</th></tr></thead>
        <tbody>${peers.peers.map(p => html`<tr>
          <td><code>${p.peerId}</code></td><td>${p.connected ? 'yes' : 'no'}</td><td>${p.inRoutingTable ? 'yes' : 'no'}</td>
          <td>${rtt[p.peerId] ?? (!p.connected ? '' : session.user === '' ? html`<a href="#/login">log in</a>` : '…')}</td><td>${p.addresses.slice(0, 2).map(a => html`<div><code>${a}</code></div>`)}</td></tr>`)}</tbody>
      </table>
    </article>`
}
