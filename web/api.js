// Talking to the node's API: one base URL, the user's token from localStorage.
const TOKEN_KEY = 'paip.token'
const USER_KEY = 'paip.user'

export function createApi (base) {
  const root = (base ?? '').replace(/\/+$/, '')
  const session = {
    get token () { return localStorage.getItem(TOKEN_KEY) ?? '' },
    get user () { return localStorage.getItem(USER_KEY) ?? '' },
    set (user, token) { localStorage.setItem(USER_KEY, user); localStorage.setItem(TOKEN_KEY, token) },
    clear () { localStorage.removeItem(USER_KEY); localStorage.removeItem(TOKEN_KEY) }
  }

  async function request (path, init = {}) {
    const headers = { ...(init.headers ?? {}) }
    if (session.token !== '') headers.authorization = `Bearer ${session.token}`
    const response = await fetch(root + path, { ...init, headers })
    if (!response.ok) {
      let body
      try { body = await response.json() } catch { body = undefined }
      const err = new Error(body?.error?.message ?? `${response.status} ${response.statusText}`)
      err.status = response.status
      err.details = body?.error?.details
      err.remoteName = body?.error?.name
      throw err
    }
    return response
  }

  return {
    root,
    session,
    request,
    async json (path, init) { return await (await request(path, init)).json() },
    async send (method, path, body, init = {}) {
      return await (await request(path, { ...init, method, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) }, body: JSON.stringify(body) })).json()
    },
    /** Calls onLine with each NDJSON line as it arrives. */
    async lines (path, onLine, init = {}) {
      const response = await request(path, { ...init, headers: { accept: 'application/x-ndjson', ...(init.headers ?? {}) } })
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      let buffered = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffered += decoder.decode(value, { stream: true })
        let nl
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim()
          buffered = buffered.slice(nl + 1)
          if (line !== '') onLine(JSON.parse(line))
        }
      }
      if (buffered.trim() !== '') onLine(JSON.parse(buffered))
    }
  }
}

export const short = id => id == null ? '' : id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
export const when = ms => ms == null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
