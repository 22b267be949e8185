import fs from 'node:fs/promises'
import path from 'node:path'
import { sleep } from '../time.js'
import { FED_TAG, JOB_POLL } from './constants.js'
import { RoundFailedError } from './errors.js'
import type { StoredFedRun } from './types.js'
import type { Catalog } from '../catalog/index.js'
import type { Jobs, Job } from '../jobs/index.js'
import type { BlobStore } from '../storage/blobs.js'

/** What the aggregation step uses: this node's jobs, catalog and blobs, and a working directory. */
export interface AggregateComponents {
  self: string
  dir: string
  jobs: Pick<Jobs, 'submit' | 'status'>
  catalog: Catalog
  blobs: BlobStore
}

async function readAll (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

async function waitJob (jobs: Pick<Jobs, 'status'>, id: string, signal: AbortSignal): Promise<Job> {
  while (true) {
    const job = await jobs.status(id)
    if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job
    await sleep(JOB_POLL, signal)
  }
}

/** Runs the aggregation protocol over the updates and registers the next model version. */
export async function aggregateRound (c: AggregateComponents, run: StoredFedRun, round: number, attempt: number, updates: Array<{ peer: string, bytes: Uint8Array }>, signal: AbortSignal): Promise<{ cid: string, name: string }> {
  const name = `${run.name}-r${round}`
  const existing = await c.catalog.get('model', name).catch(() => undefined)
  if (existing != null) return { cid: existing.manifest, name }
  const work = path.join(c.dir, run.id, `r${round}.${attempt}`)
  await fs.rm(work, { recursive: true, force: true })
  await fs.mkdir(path.join(work, 'updates'), { recursive: true })
  for (const u of updates) await fs.writeFile(path.join(work, 'updates', `${u.peer}.json`), u.bytes)
  const setName = `${run.name}-r${round}.${attempt}-updates`
  const set = await c.catalog.get('dataset', setName).catch(async () =>
    await c.catalog.add('dataset', { path: path.join(work, 'updates') }, { name: setName, tags: [FED_TAG], description: `updates of round ${round} of federated run ${run.id}` }, { signal }))
  const jobId = `fed-agg-${run.id}-r${round}.${attempt}`
  await c.jobs.submit({ id: jobId, protocol: run.aggregate, dataset: set.manifest, model: run.model, timeLimit: run.roundTimeout }, { peer: c.self, ...(run.user == null ? {} : { user: run.user }) }, { signal })
  const job = await waitJob(c.jobs, jobId, signal)
  if (job.state !== 'succeeded') throw new RoundFailedError(`the aggregation job ${jobId} ${job.state}${job.reason == null ? '' : ': ' + job.reason}`)
  if (!job.outputs.some(o => o.path === 'model.json')) throw new RoundFailedError(`the aggregation job ${jobId} wrote no model.json`)
  const out = path.join(work, 'model')
  for (const o of job.outputs) {
    const target = path.join(out, o.path)
    await fs.mkdir(path.dirname(target), { recursive: true })
    await fs.writeFile(target, await readAll(c.blobs.get(o.cid, { signal })))
  }
  const from = await c.catalog.get('model', run.model)
  const entry = await c.catalog.add('model', { path: out }, {
    name,
    tags: [...new Set([FED_TAG, ...from.tags])],
    framework: (from as any).framework ?? 'python',
    task: (from as any).task ?? 'classification',
    description: `round ${round} of federated run ${run.id} (${updates.length} update(s) of ${run.dataset})`,
    public: true,
    ...((from as any).entrypoint == null ? {} : { entrypoint: (from as any).entrypoint })
  }, { signal })
  await fs.rm(work, { recursive: true, force: true })
  return { cid: entry.manifest, name }
}
