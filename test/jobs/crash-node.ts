/**
 * A node that runs jobs until it is killed: `node crash-node.js <dir>` starts the jobs component
 * on `<dir>/db` with one slot, submits one job that forks and sleeps and one that waits behind
 * it, prints `ready` once the first runs, and then waits to be killed with SIGKILL.
 */
import path from 'node:path'
import { Level } from 'level'
import { createJobs } from '../../src/jobs/index.js'
import { createBlobStore } from '../../src/storage/blobs.js'
import { protocolYaml } from './fixtures.js'

const dir = process.argv[2]
/** `process` (default) or `sandbox`; in the sandbox the job's sleep is found by its marker, not a pid file. */
const runtime = (process.argv[3] ?? 'process') as 'process' | 'sandbox'
const marker = process.argv[4] ?? '300'
const db = new Level<string, any>(path.join(dir, 'db'), { valueEncoding: 'json' })
await db.open()
const jobs = createJobs({ db: db.sublevel('jobs') as any, blobs: createBlobStore({ dir: path.join(dir, 'blobs') }), datasets: { resolve: async () => undefined }, peerId: 'crash-node' },
  { dir: path.join(dir, 'jobs'), slots: 1, env: { PATH: process.env.PATH }, runtime })
await jobs.start()
const script = runtime === 'process' ? `sleep 300 & echo $! > ${path.join(dir, 'child.pid')}; wait` : `setsid sleep ${marker} & echo started; wait`
await jobs.submit({ id: 'crash-running', protocol: protocolYaml([script]) }, { peer: 'crash-node' })
await jobs.submit({ id: 'crash-queued', protocol: protocolYaml(['echo later']) }, { peer: 'crash-node' })
const started = Date.now()
while (Date.now() - started < 20_000) {
  const { existsSync } = await import('node:fs')
  const job = await jobs.status('crash-running')
  let printed = false
  if (runtime === 'sandbox') for await (const chunk of jobs.logs('crash-running')) { printed ||= chunk.byteLength > 0 }
  if (job.state === 'running' && (runtime === 'process' ? existsSync(path.join(dir, 'child.pid')) : printed)) break
  await new Promise(resolve => setTimeout(resolve, 50))
}
process.stdout.write('ready\n')
setInterval(() => {}, 1000)
