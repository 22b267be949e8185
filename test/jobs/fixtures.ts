import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Level } from 'level'
import { createBlobStore } from '../../src/storage/blobs.js'
import { publishedProtocol } from '../fixtures/published-protocol.js'
import { tempDir } from '../fixtures/temp.js'
import { until } from '../fixtures/wait.js'
import type { ContentResolver, Job, LocalContent } from '../../src/jobs/types.js'
import type { BlobStore } from '../../src/storage/blobs.js'
import type { ProtocolShape } from '../fixtures/published-protocol.js'

export interface Bench {
  dir: string
  db: Level<string, any>
  blobs: BlobStore
  /** Reopens the database (after a simulated crash). */
  reopen: () => Promise<Level<string, any>>
  cleanup: () => Promise<void>
}

export async function workspace (): Promise<Bench> {
  const dir = await tempDir('paip-jobs-')
  const bench: Bench = {
    dir,
    db: new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' }),
    blobs: createBlobStore({ dir: path.join(dir, 'blobs') }),
    async reopen () {
      await bench.db.close()
      bench.db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
      await bench.db.open()
      return bench.db
    },
    async cleanup () {
      await bench.db.close().catch(() => {})
      await fs.rm(dir, { recursive: true, force: true })
    }
  }
  await bench.db.open()
  return bench
}

/** A dataset held in a local directory, found by its name, ID, CID or one of its tags. */
export async function localDataset (dir: string, name: string, tags: string[], files: Record<string, string> = { 'data.txt': 'hello\n' }, cid = `bafk${name.toLowerCase()}`): Promise<LocalContent> {
  const root = path.join(dir, 'datasets', name)
  await fs.mkdir(root, { recursive: true })
  for (const [file, text] of Object.entries(files)) await fs.writeFile(path.join(root, file), text)
  return { id: `id-${name}`, name, cid, tags, dir: root }
}

export function resolverOf (items: LocalContent[], holders: (ref: string) => string[] = () => []): ContentResolver {
  return {
    async resolve (ref) {
      return items.find(d => d.name === ref || d.id === ref || d.cid === ref || d.tags.some(t => `#${t}` === ref || t === ref))
    },
    async findHolders (ref) { return holders(ref) }
  }
}

/** An OpenPAI v2 job protocol with one task role running `commands`. */
export function protocolYaml (commands: string[], extra: Omit<ProtocolShape, 'commands' | 'name'> & { name?: string } = {}): string {
  return publishedProtocol({ ...extra, name: extra.name ?? 'test_job', commands })
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/** True while a process with this pid exists. */
export function alive (pid: number): boolean {
  // pid 0 would signal our own process group: a pid file read before it was written
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a process ID: ${pid}`)
  try { process.kill(pid, 0) } catch { return false }
  // a killed process whose parent is gone stays a zombie until someone reaps it: it is dead
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return true }
}

/** Reads a pid file once the job has written it whole (a number and its newline). */
export async function readPid (file: string, ms = 10_000): Promise<number> {
  const end = Date.now() + ms
  for (;;) {
    const text = await fs.readFile(file, 'utf8').catch(() => '')
    if (/^\d+\n$/.test(text)) return Number(text.trim())
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for a pid in ${file}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Waits until job `id` has ended (succeeded, failed or cancelled) and answers it. */
export async function jobEnded (jobs: { status: (id: string) => Promise<Job> }, id: string, ms: number): Promise<Job> {
  let job: Job | undefined
  await until(async () => {
    job = await jobs.status(id)
    return ['succeeded', 'failed', 'cancelled'].includes(job.state)
  }, ms, `job ${id} to finish`)
  return job as Job
}
