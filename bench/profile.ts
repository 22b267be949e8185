/**
 * A CPU profile of this process while `fn` runs (node's inspector, the same profiler as
 * `--cpu-prof`), summarised as the share of samples per package: what a missed target's reason
 * is written from.
 */
import { Session } from 'node:inspector/promises'

export interface ProfileSummary { total: number, shares: Array<[string, number]> }

/** `intervalUs`: the sampling interval (node's default 1 ms when not given; longer costs the profiled work less). */
export async function profiled<T> (fn: () => Promise<T>, intervalUs?: number): Promise<[T, ProfileSummary]> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  if (intervalUs != null) await session.post('Profiler.setSamplingInterval', { interval: intervalUs })
  await session.post('Profiler.start')
  const stop = async (): Promise<ProfileSummary> => {
    const { profile } = await session.post('Profiler.stop') as any
    session.disconnect()
    return summarise(profile)
  }
  let value: T
  try {
    value = await fn()
  } catch (err) {
    await stop()
    throw err
  }
  return [value, await stop()]
}

function summarise (profile: { nodes: Array<{ id: number, callFrame: { url: string, functionName: string } }>, samples: number[], timeDeltas: number[] }): ProfileSummary {
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
