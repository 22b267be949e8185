import { InvalidArgumentError } from '../../../errors.js'
import type { Job, JobOutput } from '../../../jobs/index.js'

/** Collects a repeatable `k=v` option into an object. */
export function keyValue (value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`)
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) }
}

export function short (peer: string): string {
  return peer.length > 16 ? `${peer.slice(0, 8)}…${peer.slice(-6)}` : peer
}

function when (ms?: number): string {
  return ms == null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

export function jobLine (job: Job): string {
  const reason = job.reason == null ? '' : ` (${job.reason})`
  return `${job.id}  ${job.state}${reason}  ${job.name}  on ${short(job.node)}  ${when(job.createdAt)}`
}

export function jobText (job: Job): string[] {
  return [
    `job:       ${job.id}`,
    `state:     ${job.state}${job.reason == null ? '' : ` (${job.reason})`}`,
    `protocol:  ${job.name}`,
    `node:      ${job.node}`,
    `runtime:   ${job.runtime}`,
    ...(job.limits == null ? [] : [`limits:    memory ${job.limits.memoryMB} MB, CPU ${job.limits.cpu === 0 ? 'not limited' : job.limits.cpu}, processes ${job.limits.pids}, network ${job.limits.network}, time ${Math.round(job.timeLimit / 1000)} s${job.limits.enforcedBy == null ? '' : ` (enforced by ${job.limits.enforcedBy})`}`]),
    `submitter: ${job.submitter.user == null ? '' : job.submitter.user + ' at '}${job.submitter.peer}`,
    ...(job.dataset == null ? [] : [`dataset:   ${job.dataset.name} (${job.dataset.cid})`]),
    ...(job.model == null ? [] : [`model:     ${job.model.name} (${job.model.cid})`]),
    ...(Object.keys(job.parameters).length === 0 ? [] : [`params:    ${Object.entries(job.parameters).map(([k, v]) => `${k}=${v}`).join(' ')}`]),
    ...(job.secrets.length === 0 ? [] : [`secrets:   ${job.secrets.join(', ')} (values hidden)`]),
    `created:   ${when(job.createdAt)}   started: ${when(job.startedAt)}   finished: ${when(job.finishedAt)}`,
    `attempts:  ${job.attempts} (retries allowed: ${job.retries})${job.exitCode == null ? '' : `   exit code: ${job.exitCode}`}`,
    `outputs:   ${job.outputs.length}`
  ]
}

export function outputLines (outputs: JobOutput[]): string[] {
  return outputs.length === 0 ? ['no outputs'] : outputs.map(o => `${o.cid}  ${String(o.size).padStart(10)}  ${o.path}`)
}
