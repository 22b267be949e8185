/**
 * A CPU profile of this process while `fn` runs (node's inspector, the same profiler as
 * `--cpu-prof`), summarised as the share of samples per package: what a missed target's reason
 * is written from.
 */
import { readFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

export interface ProfileSummary { total: number, shares: Array<[string, number]> }

/** `intervalUs`: the sampling interval (node's default 1 ms when not given; longer costs the profiled work less). */
export async function profiled<T> (fn: () => Promise<T>, intervalUs?: number): Promise<[T, ProfileSummary]> {
  const [value, profile] = await profiledRaw(fn, intervalUs)
  return [value, summarise(profile)]
}

/** The CPU profile itself, for a reason written by cause (`byCause`) rather than by package. */
export async function profiledRaw<T> (fn: () => Promise<T>, intervalUs?: number): Promise<[T, CpuProfile]> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    if (intervalUs != null) await session.post('Profiler.setSamplingInterval', { interval: intervalUs })
    await session.post('Profiler.start')
    let value: T
    try {
      value = await fn()
    } catch (err) {
      await session.post('Profiler.stop')
      throw err
    }
    return [value, (await session.post('Profiler.stop') as { profile: CpuProfile }).profile]
  } finally {
    session.disconnect()
  }
}

/** A V8 CPU profile as the inspector's Profiler.stop returns it. */
export interface CpuProfile { nodes: Array<{ id: number, callFrame: { url: string, functionName: string }, children?: number[] }>, samples: number[], timeDeltas: number[] }

/** The Chrome DevTools Protocol over another process's inspector WebSocket (`ws://...`). */
export interface Inspector {
  post: (method: string, params?: Record<string, unknown>) => Promise<any>
  close: () => void
}

export async function connectInspector (url: string, signal: AbortSignal): Promise<Inspector> {
  const socket = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => { resolve() }
    socket.onerror = () => { reject(new Error(`cannot connect to the inspector at ${url}`)) }
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
  })
  let next = 0
  const pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()
  socket.onmessage = event => {
    const message = JSON.parse(String(event.data))
    const waiting = message.id == null ? undefined : pending.get(message.id)
    if (waiting == null) return
    pending.delete(message.id)
    if (message.error != null) waiting.reject(new Error(message.error.message))
    else waiting.resolve(message.result)
  }
  socket.onclose = () => { for (const waiting of pending.values()) waiting.reject(new Error('the inspector closed')) }
  return {
    post: async (method, params = {}) => await new Promise((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve, reject })
      socket.send(JSON.stringify({ id, method, params }))
    }),
    close: () => { socket.close() }
  }
}

/** A CPU profile of another process over `ms`, through its inspector. */
export async function profileRemote (inspector: Inspector, ms: number, intervalUs: number, sleep: (ms: number) => Promise<void>): Promise<CpuProfile> {
  await inspector.post('Profiler.enable')
  await inspector.post('Profiler.setSamplingInterval', { interval: intervalUs })
  await inspector.post('Profiler.start')
  let slept: unknown
  try {
    await sleep(ms)
  } catch (err) {
    slept = err
  }
  const { profile } = await inspector.post('Profiler.stop') as { profile: CpuProfile }
  if (slept != null) throw slept
  return profile
}

/**
 * The profile with each frame of a bundled file (bin/paip runs dist/cli/, one file for many
 * packages) named by its original source, from the bundle's source map, so that shares by
 * package mean the same for a bundled daemon as for tsc's modules.
 */
export function unbundle (profile: CpuProfile): CpuProfile {
  const maps = new Map<string, SourceMap | undefined>()
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      let map: SourceMap | undefined
      try { map = new SourceMap(JSON.parse(readFileSync(fileURLToPath(url) + '.map', 'utf8'))) } catch { map = undefined }
      maps.set(url, map)
    }
    return maps.get(url)
  }
  for (const node of profile.nodes) {
    const frame = node.callFrame as { url: string, lineNumber?: number, columnNumber?: number }
    if (!frame.url.startsWith('file:') || frame.url.includes('/node_modules/')) continue
    const entry = mapOf(frame.url)?.findEntry(frame.lineNumber ?? 0, frame.columnNumber ?? 0) as { originalSource?: string } | undefined
    if (entry?.originalSource == null) continue
    // paip's own sources as tsc's output names them (what `summarise` reads as paip:<dir>)
    const source = new URL(entry.originalSource, frame.url).href
    frame.url = source.includes('/node_modules/') ? source : source.replace('/src/', '/dist/src/')
  }
  return profile
}

export function summarise (profile: { nodes: Array<{ id: number, callFrame: { url: string, functionName: string } }>, samples: number[], timeDeltas: number[] }): ProfileSummary {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const shares = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const { url, functionName } = byId.get(id)?.callFrame ?? { url: '', functionName: '?' }
    let key: string
    if (url.includes('node_modules/')) key = url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
    else if (url.startsWith('node:')) key = url.replace(/^node:(internal\/)?([^/]+).*/, 'node:$2')
    else if (url === '') key = functionName === '' ? '(native)' : `(${functionName.replace(/[()]/g, '')})`
    else key = 'paip:' + url.replace(/.*\/dist\//, '').replace(/\/[^/]+$/, '')
    shares.set(key, (shares.get(key) ?? 0) + dt)
  })
  return { total, shares: [...shares].map(([k, v]) => [k, v / Math.max(total, 1)] as [string, number]).sort((a, b) => b[1] - a[1]) }
}

/** "idle 40%, @chainsafe/libp2p-noise 20%, ..." for the top `n`. */
export function describe (summary: ProfileSummary, n = 6): string {
  return summary.shares.slice(0, n).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join(', ')
}

/**
 * Shares of a profile's CPU time by cause: each sample goes to the first rule matching a frame
 * of its stack, from the running function towards the root (what the CPU was doing, not who
 * started it); samples no rule matches go to `other`. Idle samples are left out.
 */
export function byCause (profile: CpuProfile, rules: Array<[string, RegExp]>): { busyMs: number, shares: Array<[string, number]> } {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const causeOf = new Map<number, string>()
  const cause = (id: number): string => {
    const known = causeOf.get(id)
    if (known != null) return known
    let found = 'other'
    for (let at: number | undefined = id; at != null; at = parent.get(at)) {
      const { url, functionName } = byId.get(at)?.callFrame ?? { url: '', functionName: '' }
      const rule = rules.find(([, re]) => re.test(url === '' ? `(${functionName.replace(/[()]/g, '')})` : url))
      if (rule != null) { found = rule[0]; break }
    }
    causeOf.set(id, found)
    return found
  }
  const totals = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === '(idle)') return
    const dt = profile.timeDeltas[i] ?? 0
    busy += dt
    const c = cause(id)
    totals.set(c, (totals.get(c) ?? 0) + dt)
  })
  return { busyMs: busy / 1000, shares: [...totals].map(([k, v]) => [k, v / Math.max(busy, 1)] as [string, number]).sort((a, b) => b[1] - a[1]) }
}
