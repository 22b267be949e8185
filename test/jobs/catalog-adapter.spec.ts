import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createCatalog } from '../../src/catalog/index.js'
import { catalogContent, createJobs } from '../../src/jobs/index.js'
import { paipLogger } from '../../src/logger.js'
import { startHosts, stopHosts } from '../fixtures/hosts.js'
import { until } from '../fixtures/wait.js'
import { collect, protocolYaml, workspace } from './fixtures.js'
import type { Catalog } from '../../src/catalog/index.js'
import type { Jobs } from '../../src/jobs/index.js'
import type { Host } from '../../src/net/host.js'
import type { Bench } from './fixtures.js'

describe('jobs: datasets from the catalog', function () {
  this.timeout(30_000)
  let hosts: Host[] = []
  let ws: Bench
  let catalog: Catalog
  let jobs: Jobs

  before(async () => {
    hosts = await startHosts(2)
    ws = await workspace()
    catalog = createCatalog({ db: ws.db.sublevel('catalog') as any, blobs: ws.blobs, host: hosts[0], logger: paipLogger() })
    await catalog.start()
    const src = path.join(ws.dir, 'digits')
    await fs.mkdir(path.join(src, 'train'), { recursive: true })
    await fs.writeFile(path.join(src, 'train', 'a.csv'), '1,2\n3,4\n')
    await catalog.add('dataset', { path: src }, { name: 'digits', tags: ['#MNIST'], license: 'CC-BY-4.0', format: 'csv', public: true })
    const dir = path.join(ws.dir, 'jobs')
    jobs = createJobs({ db: ws.db.sublevel('jobs') as any, host: hosts[0], blobs: ws.blobs, ...catalogContent(catalog, path.join(dir, 'views')), logger: paipLogger() },
      { dir, env: { PATH: process.env.PATH } })
    await jobs.start()
  })

  after(async () => {
    await jobs?.stop()
    await catalog?.stop()
    await stopHosts(hosts)
    await ws?.cleanup()
  })

  it('gives a job the files of a catalog dataset named by its tag under PAIP_DATASET_DIR', async () => {
    const sent = await jobs.run({ id: 'from-catalog', protocol: protocolYaml(['find "$PAIP_DATASET_DIR" -name "*.csv" | sed "s|$PAIP_DATASET_DIR/||"', 'cat "$PAIP_DATASET_DIR"/*/a.csv']), dataset: '#MNIST' })
    assert.equal(sent.job.dataset?.name, 'digits')
    await until(async () => (await jobs.status('from-catalog')).state === 'succeeded', 10_000, 'the job')
    const log = await collect(jobs.logs('from-catalog'))
    assert.match(log, /1,2\n3,4/)
  })

  it('stops the jobs of a dataset removed from the catalog', async () => {
    await jobs.run({ id: 'until-removed', protocol: protocolYaml(['sleep 300']), dataset: '#MNIST' })
    await until(async () => (await jobs.status('until-removed')).state === 'running', 10_000, 'the job to run')
    await catalog.remove('dataset', 'digits')
    await until(async () => (await jobs.status('until-removed')).state === 'cancelled', 10_000, 'the job to be stopped')
    await assert.rejects(jobs.run({ id: 'after-removal', protocol: protocolYaml(['true']), dataset: '#MNIST' }), { name: 'NoCandidateError' })
  })
})
