import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { initRepository } from '../../src/repo/index.js'
import { tempDir } from '../fixtures/temp.js'
import type { Repository } from '../../src/repo/index.js'

/** A valid OpenPAI v2 protocol whose bytes differ by `variant` (name, command and a comment). */
export function protocol (name: string, variant: number | string = 0, extra = ''): string {
  return [
    `# ${name} version ${variant}${extra}`,
    'protocolVersion: 2',
    `name: ${name.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    'type: job',
    'prerequisites:',
    '  - name: image',
    '    type: dockerimage',
    '    uri: openpai/standard:python_3.6-pytorch_1.2.0-gpu',
    'taskRoles:',
    '  train:',
    '    instances: 1',
    '    dockerImage: image',
    '    resourcePerInstance:',
    '      cpu: 4',
    '      memoryMB: 8192',
    '      gpu: 1',
    '    commands:',
    `      - python train.py --run ${JSON.stringify(String(variant))}`,
    ''
  ].join('\n')
}

/** Writes `text` (string or bytes) at `path` under `dir`, making folders. */
export async function put (dir: string, path: string, text: string | Uint8Array): Promise<string> {
  const file = join(dir, path)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, text)
  return file
}

/** A fresh repository in a temp dir, with a fixed author and a clock that ticks a second per call. */
export async function freshRepository (): Promise<{ dir: string, repo: Repository, cleanup: () => Promise<void> }> {
  const dir = await tempDir('paip-repo-')
  let t = Date.parse('2026-01-01T00:00:00Z')
  const repo = await initRepository(dir, { author: 'tester', now: () => new Date(t += 1000) })
  return {
    dir,
    repo,
    cleanup: async () => {
      await repo.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Asserts `promise` rejects with an error named `name` and returns it. */
export async function rejectsWith (promise: Promise<unknown>, name: string): Promise<any> {
  try {
    await promise
  } catch (err: any) {
    if (err?.name !== name) throw new Error(`expected ${name}, got ${err?.name}: ${err?.message}`, { cause: err })
    return err
  }
  throw new Error(`expected ${name}, but it resolved`)
}
