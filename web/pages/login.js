import { html } from 'htm/preact'
import { useState } from 'preact/hooks'

export function LoginPage ({ api, session }) {
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  async function submit (e) {
    e.preventDefault()
    setError('')
    try {
      const answer = await api.send('POST', `/repo/auth/${encodeURIComponent(name)}`, { password })
      session.login(answer.user, answer.token)
      location.hash = '#/'
    } catch (err) { setError(err.message) }
  }
  if (session.user !== '') return html`<p>Signed in as <strong>${session.user}</strong>.</p>`
  return html`
    <form class="login" onSubmit=${submit}>
      <h1>Log in</h1>
      <label>User <input name="user" autocomplete="username" required value=${name} onInput=${e => setName(e.currentTarget.value)} /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required value=${password} onInput=${e => setPassword(e.currentTarget.value)} /></label>
      ${error === '' ? null : html`<p class="error" role="alert">${error}</p>`}
      <button type="submit">Log in</button>
    </form>`
}
